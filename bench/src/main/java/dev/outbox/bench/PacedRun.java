package dev.outbox.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs {@code count} operations at a set pace, whatever they take: operation {@code k} is due at
 * the start plus {@code (offset + k) / perSecond} seconds, and runs then, or at once when behind.
 * The operations are shared out over a few threads (thread {@code t} takes every {@code k} with
 * {@code k % threads == t}), so that a slow one does not hold the next back. This is how the merge
 * lane submits its deferred mail, to Outbox and to Postfix: an arrival rate, not a closed loop.
 * {@link CountedRun} is its sibling for "as fast as possible".
 *
 * <p>Each thread runs one {@link Body}, which asks {@link Slots#next()} for its next operation
 * (waiting until it is due) and may keep state of its own around the loop, such as an SMTP
 * session. {@link #run} returns once every thread has ended, with the pace reached. Misuse and
 * failures: the first exception of any body ends every thread at its next {@code next()} and is
 * rethrown as {@link IllegalStateException} naming the run.
 */
final class PacedRun {

    /** One thread's work: take operations from {@code slots} until it returns -1. */
    interface Body {
        void run(Slots slots) throws Exception;
    }

    /** The operations of one thread, each handed out when it is due. */
    static final class Slots {
        private final PacedRun run;
        private int k;

        private Slots(PacedRun run, int thread) {
            this.run = run;
            this.k = thread - run.threads;
        }

        /** The next operation of this thread, once it is due; -1 when there is none left or another thread failed. */
        int next() {
            k += run.threads;
            if (k >= run.count || run.failure.get() != null) {
                return -1;
            }
            long wait = run.startNanos + (run.offset + k) * run.stepNanos - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
            }
            return k;
        }
    }

    private final int threads;
    private final int count;
    private final long startNanos;
    private final int offset;
    private final long stepNanos;
    private final AtomicReference<Exception> failure = new AtomicReference<>();

    private PacedRun(int threads, int count, int perSecond, long startNanos, int offset) {
        this.threads = threads;
        this.count = count;
        this.startNanos = startNanos;
        this.offset = offset;
        this.stepNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
    }

    /**
     * Runs {@code count} operations on {@code threads} threads running {@code body}, operation
     * {@code k} due at {@code startNanos} ({@link System#nanoTime()}) plus {@code offset + k}
     * steps of 1/{@code perSecond} s. Returns the operations a second reached, from
     * {@code startNanos} plus {@code offset} steps to the end.
     */
    static double run(String name, int threads, int count, int perSecond, long startNanos, int offset, Body body)
            throws InterruptedException {
        PacedRun run = new PacedRun(threads, count, perSecond, startNanos, offset);
        List<Thread> workers = new ArrayList<>(threads);
        for (int t = 0; t < threads; t++) {
            Slots slots = new Slots(run, t);
            Thread worker = new Thread(() -> {
                try {
                    body.run(slots);
                } catch (Exception e) {
                    run.failure.compareAndSet(null, e);
                }
            }, "bench-" + name.replace(' ', '-') + "-" + t);
            worker.setDaemon(true);
            workers.add(worker);
        }
        workers.forEach(Thread::start);
        for (Thread worker : workers) {
            worker.join();
        }
        Exception failure = run.failure.get();
        if (failure != null) {
            throw new IllegalStateException(name + " failed: " + failure.getMessage(), failure);
        }
        long from = startNanos + offset * run.stepNanos;
        return count * 1e9 / Math.max(1, System.nanoTime() - from);
    }
}
