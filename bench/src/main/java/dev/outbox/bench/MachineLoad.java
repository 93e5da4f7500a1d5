package dev.outbox.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the machine was while the harness measured, and how much of that was the harness:
 * other processes sharing the CPUs (a build, a server) slow every figure, and a reader must know.
 *
 * <p>{@link #now} takes a snapshot of the kernel's CPU counters ({@code /proc/stat}) and of this
 * process's CPU time; {@link #othersShare} gives the share of all CPUs that other processes and
 * the kernel used between two snapshots. {@link #processCpuNanos} is this process's CPU time.
 * Where {@code /proc/stat} or the process CPU time cannot be read (not Linux, another JVM) the
 * snapshot is null and the share is reported as unknown.
 */
final class MachineLoad {

    /** Kernel CPU counters (in clock ticks, all CPUs) and this process's CPU time, at one moment. */
    record Snapshot(long busyTicks, long totalTicks, long processCpuNanos, long wallNanos) {
    }

    private MachineLoad() {
    }

    /** A snapshot, or null where the counters cannot be read. */
    static Snapshot now() {
        long cpu = processCpuNanos();
        if (cpu < 0) {
            return null;
        }
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            long idle = 0;
            // cpu user nice system idle iowait irq softirq steal (guest time is part of user)
            for (int i = 1; i <= 8 && i < fields.length; i++) {
                long value = Long.parseLong(fields[i]);
                total += value;
                if (i == 4 || i == 5) {
                    idle += value;
                }
            }
            return new Snapshot(total - idle, total, cpu, System.nanoTime());
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Share (0..1) of all CPUs used by everything but this process between two snapshots; -1 if unknown. */
    static double othersShare(Snapshot start, Snapshot end) {
        return othersShare(start, end, 0);
    }

    /**
     * As {@link #othersShare(Snapshot, Snapshot)}, not counting {@code alsoOursNanos} of CPU time
     * either: what a helper process of the harness (the SMTP sink) used meanwhile.
     */
    static double othersShare(Snapshot start, Snapshot end, long alsoOursNanos) {
        if (start == null || end == null || end.totalTicks() <= start.totalTicks()) {
            return -1;
        }
        double busy = (double) (end.busyTicks() - start.busyTicks()) / (end.totalTicks() - start.totalTicks());
        double own = (double) (end.processCpuNanos() - start.processCpuNanos() + alsoOursNanos)
                / ((end.wallNanos() - start.wallNanos()) * (double) Runtime.getRuntime().availableProcessors());
        return Math.max(0, busy - own);
    }

    /** CPU time used by this process so far, or -1 where the JVM cannot tell. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }
}
