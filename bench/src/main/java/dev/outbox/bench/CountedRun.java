package dev.outbox.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Runs one operation a fixed number of times, shared out over a number of threads, and times
 * the whole: how a backlog is filled. {@link TimedRun} is its sibling for a fixed time.
 *
 * <p>{@link #measure} starts the threads, each taking the next of the {@code count} operations
 * until none is left, says every ten seconds how far it got, and returns once all threads have
 * ended, with the process's CPU time over the run. The operation must be safe to run side by
 * side. Misuse and failures: the first exception of any operation stops every thread and is
 * rethrown as {@link IllegalStateException} naming the run and how many operations completed.
 */
final class CountedRun {

    /** One operation; may throw anything. */
    interface Operation {
        void run() throws Exception;
    }

    private static final long PROGRESS_MILLIS = 10_000;

    private CountedRun() {
    }

    static Rate measure(String name, int threads, long count, int bytesEach, Operation operation) throws InterruptedException {
        AtomicLong claimed = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            workers.add(new Thread(() -> {
                try {
                    while (claimed.getAndIncrement() < count) {
                        operation.run();
                        done.incrementAndGet();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    claimed.set(count);
                }
            }, "bench-" + name.replace(' ', '-') + "-" + i));
        }
        long start = System.nanoTime();
        long cpuStart = MachineLoad.processCpuNanos();
        try {
            workers.forEach(Thread::start);
            for (Thread worker : workers) {
                while (worker.isAlive()) {
                    worker.join(PROGRESS_MILLIS);
                    if (worker.isAlive()) {
                        Progress.say("%s: %,d of %,d done", name, done.get(), count);
                    }
                }
            }
        } finally {
            claimed.set(count);
            for (Thread worker : workers) {
                worker.join();
            }
        }
        long nanos = System.nanoTime() - start;
        long cpu = cpuStart < 0 ? -1 : MachineLoad.processCpuNanos() - cpuStart;
        if (failure.get() != null) {
            throw new IllegalStateException(name + " failed after " + done.get() + " of " + count + ": " + failure.get(), failure.get());
        }
        return new Rate(done.get(), nanos, cpu, bytesEach);
    }
}
