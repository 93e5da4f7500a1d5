package dev.outbox.bench;

import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.TransferQueue;
import dev.outbox.queue.Wakeups;
import dev.outbox.store.journal.JournalStore;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One drain of a backlog through the real queue engine: a {@link MailQueue} over a fresh
 * {@link JournalStore}, delivering with a real {@link SmtpDeliverer} to {@link SmtpSink}, each
 * connection on a thread of a plain thread pool, with a retry clock that does nothing (nothing
 * is deferred when all goes well) and the adapter's default policy ({@link AdapterDefaults}).
 *
 * <p>{@link #run} starts the engine, pauses it as an operator would, submits the backlog through
 * {@code MailQueue.submit} from several threads (durably, as applications do), then resumes it
 * and times from that moment until every message is delivered and the store is empty. It then
 * checks that the sink counted as many messages, stops the engine, and closes what it opened.
 * The caller gives a fresh directory and deletes it afterwards.
 *
 * <p>Misuse and failures: a recipient bounced, deferred or expired, or no delivery for
 * {@value #STALL_SECONDS} s, throws {@link IllegalStateException} with the queues' state; so
 * does a sink that did not count every message.
 */
final class Drain {

    /** Without progress for this long, a drain has failed (the adapter's timeouts are minutes long). */
    static final long STALL_SECONDS = 60;
    /** How often the main thread looks whether the backlog is delivered: the resolution of the drain's time. */
    private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long STOP_GRACE_MILLIS = 5_000;
    /** The retry clock: never asked to fire, since nothing is deferred. */
    private static final Wakeups NO_WAKEUPS = (destination, due) -> true;

    /**
     * What one drain measured.
     *
     * @param fill         the submits of the backlog (before the timed part)
     * @param nanos        from resume until every message was delivered
     * @param cpuNanos     this process's CPU time over that span, -1 if unknown
     * @param sinkCpuNanos the sink's CPU time over that span, -1 if unknown
     * @param sessions     SMTP sessions the sink saw end during the drain (connections the engine opened)
     * @param loadStart    the machine's CPU counters at the start of the span, null if unknown
     * @param loadEnd      the same at its end
     */
    record Result(long messages, Rate fill, long nanos, long cpuNanos, long sinkCpuNanos, long sessions,
                  MachineLoad.Snapshot loadStart, MachineLoad.Snapshot loadEnd) {

        double perSecond() {
            return messages * 1e9 / nanos;
        }
    }

    private Drain() {
    }

    static Result run(DeliveryBenchmark.Variant variant, AdapterDefaults defaults, StoreLayout layout, Path directory, SampleMail mail,
                      int count, int submitters, SmtpSink sink) throws InterruptedException {
        AtomicInteger numbers = new AtomicInteger();
        ExecutorService threads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "bench-delivery-" + numbers.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        SmtpDeliverer deliverer = variant.deliverer();
        MailQueue queue = new MailQueue(Clock.systemUTC(), layout.open(directory), variant.router(), deliverer, threads, NO_WAKEUPS,
                defaults.policy());
        boolean stopped = false;
        try {
            queue.start();
            queue.pause();
            Rate fill = CountedRun.measure("delivery fill", submitters, count, mail.size(), () -> queue.submit(mail.submission()));
            if (queue.messageCount() != count || queue.deliveredCount() != 0) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: after submitting %,d messages to a paused queue it holds %,d and delivered %,d: %s",
                        variant.name(), count, queue.messageCount(), queue.deliveredCount(), describe(queue)));
            }
            long sinkMessages = sink.messages();
            long sinkSessions = sink.sessions();
            MachineLoad.Snapshot loadStart = MachineLoad.now();
            long cpuStart = MachineLoad.processCpuNanos();
            long sinkCpuStart = sink.cpuNanos();
            long start = System.nanoTime();
            queue.resume();
            awaitDelivered(variant, queue, count, start);
            long nanos = System.nanoTime() - start;
            long cpu = cpuStart < 0 ? -1 : MachineLoad.processCpuNanos() - cpuStart;
            long sinkCpuEnd = sink.cpuNanos();
            long sinkCpu = sinkCpuStart < 0 || sinkCpuEnd < 0 ? -1 : sinkCpuEnd - sinkCpuStart;
            MachineLoad.Snapshot loadEnd = MachineLoad.now();

            queue.stop(STOP_GRACE_MILLIS);
            stopped = true;
            awaitSinkCount(variant, sink, sinkMessages, count);
            long sessions = settledSessions(sink) - sinkSessions;
            return new Result(count, fill, nanos, cpu, sinkCpu, sessions, loadStart, loadEnd);
        } finally {
            if (!stopped) {
                queue.stop(STOP_GRACE_MILLIS);
            }
            deliverer.close();
            threads.shutdownNow();
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                Progress.say("delivery: %s: delivery threads still running 10 s after the engine stopped", variant.name());
            }
        }
    }

    /** Returns once {@code count} recipients are delivered and the store is empty. */
    private static void awaitDelivered(DeliveryBenchmark.Variant variant, MailQueue queue, int count, long start) {
        long delivered = 0;
        long progressAt = start;
        while (true) {
            long now = queue.deliveredCount();
            if (now >= count && queue.messageCount() == 0) {
                return;
            }
            if (queue.bouncedCount() + queue.deferredCount() + queue.expiredCount() > 0) {
                throw new IllegalStateException(variant.name() + ": a recipient was not delivered at the first attempt: " + describe(queue));
            }
            long at = System.nanoTime();
            if (now != delivered) {
                delivered = now;
                progressAt = at;
            } else if (at - progressAt > TimeUnit.SECONDS.toNanos(STALL_SECONDS)) {
                throw new IllegalStateException(variant.name() + ": no delivery for " + STALL_SECONDS + " s: " + describe(queue));
            }
            LockSupport.parkNanos(POLL_NANOS);
        }
    }

    /**
     * The sink counts a message when its final dot arrives, before the engine hears the reply: it
     * must count all of them, once its counter line has come through the pipe.
     */
    private static void awaitSinkCount(DeliveryBenchmark.Variant variant, SmtpSink sink, long before, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (sink.messages() - before < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        if (sink.messages() - before != count) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s: the engine delivered %,d messages, but %s counted %,d",
                    variant.name(), count, sink, sink.messages() - before));
        }
    }

    /** The sink's session count once it stops moving (the engine says QUIT without waiting for the sink to end the session). */
    private static long settledSessions(SmtpSink sink) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        long last = sink.sessions();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - stableSince < TimeUnit.MILLISECONDS.toNanos(200)) {
            Thread.sleep(10);
            long now = sink.sessions();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            }
        }
        return last;
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
