package dev.outbox.bench;

import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.TransferQueue;
import dev.outbox.queue.Wakeups;
import dev.outbox.store.journal.JournalStore;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * One drain of a backlog through the real queue engine: a {@link MailQueue} over a fresh
 * {@link JournalStore}, delivering with a real {@link SmtpDeliverer} to the {@link SmtpSinks},
 * each connection on a thread of a plain thread pool, with a retry clock that does nothing
 * (nothing is deferred when all goes well) and the adapter's default policy
 * ({@link AdapterDefaults}).
 *
 * <p>{@link #run} starts the engine, pauses it as an operator would, submits the backlog through
 * {@code MailQueue.submit} from several threads (durably, as applications do), then resumes it
 * and times from that moment until every recipient is delivered and the store is empty. It then
 * checks that the sinks counted every message, each at its destination's sink, stops the engine, and closes what it opened. The
 * caller gives a fresh directory and deletes it afterwards. The CPU time it reports is the
 * engine's: this process's, less the harness's own threads over the same span (the one that
 * waits for the end, the sinks' counter readers, the test DNS server's), read from the
 * {@link ThreadMXBean}. With a {@link Profile}, the timed part is recorded.
 *
 * <p>Misuse and failures: a recipient bounced, deferred or expired, or no delivery for
 * {@value #STALL_SECONDS} s, throws {@link IllegalStateException} with the queues' state; so
 * does a sink count that is not the backlog's.
 */
final class Drain {

    /** Without progress for this long, a drain has failed (the adapter's timeouts are minutes long). */
    static final long STALL_SECONDS = 60;
    /** How often the main thread looks whether the backlog is delivered: the resolution of the drain's time. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long STOP_GRACE_MILLIS = 5_000;
    /** The retry clock: never asked to fire, since nothing is deferred. */
    private static final Wakeups NO_WAKEUPS = (destination, due) -> true;
    /** Threads of the testing module's DNS server, which answers the MX questions: the harness's, not the engine's. */
    private static final String DNS_THREADS = "test-dns-";
    /** The engine says QUIT without waiting for the sink to end the session: the sinks' session count settles soon after. */
    private static final long SESSIONS_SETTLE_MILLIS = 200;

    private Drain() {
    }

    /**
     * Drains {@code backlog}, whose messages are {@code mails} (one per site of the backlog, in
     * its order), routed by {@code router} and delivered by {@code deliverer}, which this closes.
     */
    static DrainResult run(String name, Function<String, Destination> router, SmtpDeliverer deliverer, AdapterDefaults defaults,
                           StoreLayout layout, Path directory, DeliveryBacklog backlog, List<SampleMail> mails, int submitters,
                           SmtpSinks sinks, Profile profile) throws InterruptedException {
        AtomicInteger numbers = new AtomicInteger();
        ExecutorService threads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "bench-delivery-" + numbers.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        MailQueue queue = new MailQueue(Clock.systemUTC(), layout.open(directory), router, deliverer, threads, NO_WAKEUPS,
                defaults.policy());
        boolean stopped = false;
        try {
            queue.start();
            queue.pause();
            int[] bySite = bySite(backlog);
            AtomicInteger next = new AtomicInteger();
            Rate fill = CountedRun.measure("delivery fill", submitters, backlog.messages(), mails.get(0).size(),
                    () -> queue.submit(mails.get(bySite[next.getAndIncrement()]).submission()));
            if (queue.messageCount() != backlog.messages() || queue.deliveredCount() != 0) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: after submitting %,d messages to a paused queue it holds %,d and delivered %,d: %s",
                        name, backlog.messages(), queue.messageCount(), queue.deliveredCount(), describe(queue)));
            }
            long sinkMessages = sinks.messages();
            Map<String, Long> bySink = sinks.messagesByAddress();
            long sinkSessions = sinks.sessions();
            if (profile != null) {
                profile.begin(name);
            }
            MachineLoad.Snapshot loadStart = MachineLoad.now();
            long cpuStart = MachineLoad.processCpuNanos();
            long harnessStart = harnessCpuNanos(sinks);
            long sinkCpuStart = sinks.cpuNanos();
            long start = System.nanoTime();
            queue.resume();
            awaitDelivered(name, queue, backlog.deliveries(), start);
            long nanos = System.nanoTime() - start;
            long cpuEnd = MachineLoad.processCpuNanos();
            long harness = harnessCpuNanos(sinks) - harnessStart;
            long sinkCpuEnd = sinks.cpuNanos();
            MachineLoad.Snapshot loadEnd = MachineLoad.now();
            if (profile != null) {
                profile.end();
            }
            long cpu = cpuStart < 0 || harnessStart < 0 ? -1 : cpuEnd - cpuStart - harness;
            long sinkCpu = sinkCpuStart < 0 || sinkCpuEnd < 0 ? -1 : sinkCpuEnd - sinkCpuStart;

            queue.stop(STOP_GRACE_MILLIS);
            stopped = true;
            awaitSinkCount(name, sinks, sinkMessages, backlog.messages());
            sinks.checkSpread(bySink, backlog, name);
            long sessions = sinks.settledSessions(SESSIONS_SETTLE_MILLIS, 3_000) - sinkSessions;
            String detail = cpu < 0 ? "" : String.format(Locale.ROOT, "the harness's own threads took %s us a message more",
                    Report.whole(harness / 1e3 / backlog.messages()));
            return new DrainResult(backlog.messages(), fill, nanos, cpu, true, detail, sinkCpu, sessions, loadStart, loadEnd);
        } finally {
            if (!stopped) {
                queue.stop(STOP_GRACE_MILLIS);
            }
            deliverer.close();
            threads.shutdownNow();
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                Progress.say("delivery: %s: delivery threads still running 10 s after the engine stopped", name);
            }
        }
    }

    /** The site of each message, in submit order: round robin over the backlog's sites, each getting its share. */
    static int[] bySite(DeliveryBacklog backlog) {
        int[] sites = new int[backlog.messages()];
        int[] left = new int[backlog.destinations()];
        for (int k = 0; k < left.length; k++) {
            left[k] = backlog.messagesTo(k);
        }
        for (int i = 0, k = 0; i < sites.length; k = (k + 1) % left.length) {
            if (left[k] > 0) {
                left[k]--;
                sites[i++] = k;
            }
        }
        return sites;
    }

    /**
     * CPU time of the harness's own threads in this JVM so far: the calling thread (which polls
     * for the end), the sinks' counter readers and the test DNS server's threads; -1 where the
     * JVM cannot tell.
     */
    private static long harnessCpuNanos(SmtpSinks sinks) {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        if (!threads.isThreadCpuTimeSupported() || !threads.isThreadCpuTimeEnabled()) {
            return -1;
        }
        Set<Long> ids = new HashSet<>(sinks.readerThreadIds());
        ids.add(Thread.currentThread().getId());
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds(), 0)) {
            if (info != null && info.getThreadName().startsWith(DNS_THREADS)) {
                ids.add(info.getThreadId());
            }
        }
        long sum = 0;
        for (long id : ids) {
            sum += Math.max(0, threads.getThreadCpuTime(id));
        }
        return sum;
    }

    /** Returns once {@code count} recipients are delivered and the store is empty. */
    private static void awaitDelivered(String name, MailQueue queue, long count, long start) {
        long delivered = 0;
        long progressAt = start;
        while (true) {
            long now = queue.deliveredCount();
            if (now >= count && queue.messageCount() == 0) {
                return;
            }
            if (queue.bouncedCount() + queue.deferredCount() + queue.expiredCount() > 0) {
                throw new IllegalStateException(name + ": a recipient was not delivered at the first attempt: " + describe(queue));
            }
            long at = System.nanoTime();
            if (now != delivered) {
                delivered = now;
                progressAt = at;
            } else if (at - progressAt > TimeUnit.SECONDS.toNanos(STALL_SECONDS)) {
                throw new IllegalStateException(name + ": no delivery for " + STALL_SECONDS + " s: " + describe(queue));
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /**
     * The sinks count a message when its final dot arrives, before the engine hears the reply:
     * they must count all of them, once their counter lines have come through the pipes.
     */
    private static void awaitSinkCount(String name, SmtpSinks sinks, long before, int count) throws InterruptedException {
        long counted = sinks.awaitMessages(before + count, TimeUnit.SECONDS.toNanos(5)) - before;
        if (counted != count) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s: the engine delivered %,d messages, but %s counted %,d",
                    name, count, sinks, counted));
        }
    }

    /** The engine's counts and each queue's state, for a failure message. */
    private static String describe(MailQueue queue) {
        long now = queue.clock().millis();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "messages %,d, delivered %,d, bounced %,d, deferred %,d, expired %,d, connections %d",
                queue.messageCount(), queue.deliveredCount(), queue.bouncedCount(), queue.deferredCount(), queue.expiredCount(),
                queue.openConnections()));
        for (TransferQueue transfer : queue.queues()) {
            text.append("; queue ").append(transfer.name()).append(' ').append(transfer.state(now)).append(", ready ")
                    .append(transfer.readyCount()).append(", active ").append(transfer.activeConnections()).append(", last error \"")
                    .append(transfer.lastError()).append('"');
        }
        return text.toString();
    }
}
