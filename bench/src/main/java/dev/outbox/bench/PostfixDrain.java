package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One drain of a backlog through Postfix, as {@link Drain} is one through Outbox: the same
 * messages, the same sinks, the clock running from the signal to deliver until the sinks have
 * them all.
 *
 * <p>{@link #run} queues the backlog into the {@link PostfixInstance}'s smtpd with
 * {@code smtp-source} ({@code submitters} sessions in all, one run per destination, up to
 * {@code submitters} runs at once), where it goes
 * straight to the hold queue; checks that every message is held; moves them to the deferred
 * queue ({@code postsuper -H ALL}: mail queued while its next hop was down, untimed); then starts
 * the clock, runs {@code postqueue -f} and waits until the sinks have counted every message.
 * Afterwards it checks that Postfix's queues are empty, that each destination's sink got its
 * messages (so each domain went to its own next hop), and waits for Postfix's cached
 * connections to end, so that the sinks' session count is this drain's and the next drain
 * starts clean. The CPU time is the instance's ({@link PostfixInstance.Cpu#since}: its
 * processes and the daemons they reaped, the log daemon excluded); the sinks' is counted apart.
 *
 * <p>The clock stops when the sinks have the last message, before Postfix has heard the reply
 * and removed its queue file; Outbox's stops only once it has recorded every delivery. The
 * difference favours Postfix by a round trip and a file removal.
 *
 * <p>Misuse and failures: a message not held after the fill, no new message at the sinks for
 * {@value Drain#STALL_SECONDS} s, or mail left in Postfix's queues throws
 * {@link IllegalStateException} with the end of Postfix's log.
 */
final class PostfixDrain {

    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** Postfix keeps an idle connection in its cache for smtp_connection_cache_time_limit, 2 s by default. */
    private static final long SESSIONS_SETTLE_MILLIS = 2_500;

    private PostfixDrain() {
    }

    /**
     * Drains {@code backlog} through {@code postfix}; {@code contents} are the message files of
     * its sites, in order (as {@link SmtpSource#writeContent} writes them).
     */
    static DrainResult run(PostfixInstance postfix, SmtpSource source, DeliveryBacklog backlog, List<Path> contents, int submitters,
                           SmtpSinks sinks) throws IOException, InterruptedException {
        long sinkMessages = sinks.messages();
        Map<String, Long> bySink = sinks.messagesByAddress();
        Rate fill = fill(postfix, source, backlog, contents, submitters);
        if (sinks.messages() != sinkMessages) {
            throw new IllegalStateException("Postfix delivered while its backlog was being queued: " + postfix.logTail());
        }
        postfix.release();

        long sinkSessions = sinks.sessions();
        MachineLoad.Snapshot loadStart = MachineLoad.now();
        PostfixInstance.Cpu cpuStart = postfix.cpu();
        long sinkCpuStart = sinks.cpuNanos();
        long start = System.nanoTime();
        postfix.flush();
        awaitSinks(postfix, sinks, sinkMessages + backlog.messages(), start);
        long nanos = System.nanoTime() - start;
        PostfixInstance.Cpu cpuEnd = postfix.cpu();
        long sinkCpuEnd = sinks.cpuNanos();
        MachineLoad.Snapshot loadEnd = MachineLoad.now();

        awaitEmpty(postfix);
        long counted = sinks.awaitMessages(sinkMessages + backlog.messages(), TimeUnit.SECONDS.toNanos(1)) - sinkMessages;
        if (counted != backlog.messages()) {
            throw new IllegalStateException(String.format(Locale.ROOT, "Postfix delivered %,d messages, but %s counted %,d",
                    backlog.messages(), sinks, counted));
        }
        sinks.checkSpread(bySink, backlog, "Postfix");
        long sessions = sinks.settledSessions(SESSIONS_SETTLE_MILLIS, 8_000) - sinkSessions;
        long sinkCpu = sinkCpuStart < 0 || sinkCpuEnd < 0 ? -1 : sinkCpuEnd - sinkCpuStart;
        return new DrainResult(backlog.messages(), fill, nanos, cpuEnd.since(cpuStart), false, cpuEnd.breakdown(cpuStart), sinkCpu,
                sessions, loadStart, loadEnd);
    }

    /**
     * The backlog into Postfix's smtpd and on hold: one smtp-source run per site, up to
     * {@code submitters} runs at once, {@code submitters} sessions in all.
     */
    private static Rate fill(PostfixInstance postfix, SmtpSource source, DeliveryBacklog backlog, List<Path> contents, int submitters)
            throws IOException, InterruptedException {
        long held = postfix.held();
        List<DeliveryBacklog.Site> sites = backlog.sites();
        int parallel = Math.min(submitters, sites.size());
        int sessions = Math.max(1, submitters / parallel);
        ExecutorService runs = Executors.newFixedThreadPool(parallel, task -> {
            Thread thread = new Thread(task, "bench-postfix-fill");
            thread.setDaemon(true);
            return thread;
        });
        long start = System.nanoTime();
        try {
            List<Future<SmtpSource.Run>> done = new ArrayList<>();
            for (int k = 0; k < sites.size(); k++) {
                DeliveryBacklog.Site site = sites.get(k);
                int messages = backlog.messagesTo(k);
                Path content = contents.get(k);
                done.add(runs.submit(() -> source.send("127.0.0.1", postfix.smtpdPort(), Math.min(sessions, messages), messages,
                        backlog.recipients(), content, "bench@" + site.domain())));
            }
            for (Future<SmtpSource.Run> run : done) {
                run.get();
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("queueing the backlog into Postfix failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            runs.shutdownNow();
        }
        long nanos = System.nanoTime() - start;
        long now = postfix.held() - held;
        if (now != backlog.messages()) {
            throw new IllegalStateException(String.format(Locale.ROOT, "Postfix holds %,d messages after %,d were queued into it: %s",
                    now, backlog.messages(), postfix.logTail()));
        }
        return new Rate(backlog.messages(), nanos, -1, backlog.bytes());
    }

    /** Returns once the sinks have counted {@code target} messages. */
    private static void awaitSinks(PostfixInstance postfix, SmtpSinks sinks, long target, long start) {
        long seen = sinks.messages();
        long progressAt = start;
        while (sinks.messages() < target) {
            long now = sinks.messages();
            long at = System.nanoTime();
            if (now != seen) {
                seen = now;
                progressAt = at;
            } else if (at - progressAt > TimeUnit.SECONDS.toNanos(Drain.STALL_SECONDS)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "Postfix: no delivery for %d s, %,d of the backlog's messages left: %s",
                        Drain.STALL_SECONDS, target - now, postfix.logTail()));
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /** Postfix removes each queue file once the sink has answered: its queues are empty soon after the last message. */
    private static void awaitEmpty(PostfixInstance postfix) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        long queued = postfix.queued();
        while (queued > 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
            queued = postfix.queued();
        }
        if (queued > 0) {
            throw new IllegalStateException(String.format(Locale.ROOT, "Postfix still has %,d messages queued 10 s after the sinks had them all: %s",
                    queued, postfix.logTail()));
        }
    }
}
