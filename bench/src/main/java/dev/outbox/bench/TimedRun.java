package dev.outbox.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * Runs one operation in a loop on a number of threads, first for a warm-up and then for a
 * measured window, and counts the operations that completed inside the window.
 *
 * <p>{@link #measure} makes each thread's {@link Operation} on the calling thread (so a setup
 * failure surfaces at once), starts the threads, sleeps through the warm-up and the window,
 * stops the threads, waits for each to finish the operation it is in, and closes every
 * operation. The caller supplies operations that are safe to run side by side. The process's
 * CPU time over the window goes with the count, so the caller can tell CPU per operation.
 *
 * <p>Misuse and failures: the first exception of any operation stops the run and is rethrown
 * as {@link IllegalStateException} naming the run and the thread.
 */
final class TimedRun {

    /** One thread's operation, with whatever state it keeps (its file, its counter). */
    interface Operation extends AutoCloseable {
        void run() throws Exception;

        @Override
        default void close() throws java.io.IOException {
        }
    }

    /** Makes the operation of thread number {@code thread} (0-based). */
    interface Operations {
        Operation forThread(int thread) throws Exception;
    }

    private TimedRun() {
    }

    static Rate measure(String name, int threads, Duration warmUp, Duration window, int bytesEach, Operations operations) throws Exception {
        List<Operation> perThread = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            perThread.add(operations.forThread(i));
        }
        LongAdder completed = new LongAdder();
        AtomicReference<IllegalStateException> failure = new AtomicReference<>();
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> workers = new ArrayList<>(threads);
        for (int i = 0; i < threads; i++) {
            Operation operation = perThread.get(i);
            Thread worker = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        operation.run();
                        completed.increment();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, new IllegalStateException(name + ": " + Thread.currentThread().getName() + " failed: " + e, e));
                    stop.set(true);
                }
            }, "bench-" + name.replace(' ', '-') + "-" + i);
            workers.add(worker);
        }
        long start;
        long end;
        long before;
        long after;
        long cpuStart;
        long cpuEnd;
        try {
            workers.forEach(Thread::start);
            Thread.sleep(warmUp.toMillis());
            before = completed.sum();
            start = System.nanoTime();
            cpuStart = MachineLoad.processCpuNanos();
            Thread.sleep(window.toMillis());
            after = completed.sum();
            end = System.nanoTime();
            cpuEnd = MachineLoad.processCpuNanos();
        } finally {
            stop.set(true);
            for (Thread worker : workers) {
                worker.join();
            }
            for (Operation operation : perThread) {
                operation.close();
            }
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return new Rate(after - before, end - start, cpuStart < 0 ? -1 : cpuEnd - cpuStart, bytesEach);
    }
}
