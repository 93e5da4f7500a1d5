package dev.outbox.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * The heap the program retains: heap in use right after full collections, as the
 * {@link MemoryMXBean} reports it. Differences of two readings, with the objects of interest
 * kept reachable in between, give what those objects retain.
 *
 * <p>Depends on {@link System#gc()} doing a full collection (the default of every OpenJDK
 * collector; not with {@code -XX:+DisableExplicitGC}).
 */
final class Heap {

    private static final int COLLECTIONS = 3;

    private Heap() {
    }

    /** Collects {@value #COLLECTIONS} times and returns the bytes of heap still in use. */
    static long retainedBytes() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = 0;
        for (int i = 0; i < COLLECTIONS; i++) {
            System.gc();
            Thread.sleep(100);
            used = memory.getHeapMemoryUsage().getUsed();
        }
        return used;
    }
}
