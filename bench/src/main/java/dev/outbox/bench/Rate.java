package dev.outbox.bench;

/**
 * Operations completed in a measured window of time, and what follows from them.
 *
 * @param operations operations that completed inside the window
 * @param nanos      length of the window
 * @param cpuNanos   CPU time this process used in the window (all its threads), or -1 if the
 *                   JVM cannot tell
 * @param bytesEach  payload bytes of one operation, for {@link #mibPerSecond()}
 */
record Rate(long operations, long nanos, long cpuNanos, int bytesEach) {

    double perSecond() {
        return operations * 1e9 / nanos;
    }

    double mibPerSecond() {
        return perSecond() * bytesEach / (1024.0 * 1024.0);
    }

    /** How many times {@code other}'s rate this one is. */
    double times(Rate other) {
        return perSecond() / other.perSecond();
    }

    /** Microseconds of CPU per operation (the harness's own threads included), or -1 if unknown. */
    double cpuMicrosEach() {
        return cpuNanos < 0 || operations == 0 ? -1 : cpuNanos / 1e3 / operations;
    }

    /** The sum of two windows of the same operation. */
    Rate plus(Rate other) {
        long cpu = cpuNanos < 0 || other.cpuNanos < 0 ? -1 : cpuNanos + other.cpuNanos;
        return new Rate(operations + other.operations, nanos + other.nanos, cpu, bytesEach);
    }
}
