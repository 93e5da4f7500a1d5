package dev.outbox.bench;

/**
 * What one drain of a backlog measured, whoever drained it: Outbox ({@link Drain}), Postfix
 * ({@link PostfixDrain}) or smtp-source straight into the sinks (the ceiling).
 *
 * @param messages     messages of the backlog, all of which the sinks counted
 * @param fill         how the backlog was queued (before the timed part); null when nothing is queued (the ceiling)
 * @param nanos        from the start signal (resume, flush, start) until the last message was delivered
 * @param cpuNanos     the contender's own CPU time over that span (the sinks' excluded), -1 if unknown
 * @param inThisJvm    whether that CPU time was spent in this JVM (Outbox) or by other processes
 * @param cpuDetail    where the contender's CPU went, and anything else the table should say of the drain ("" for nothing)
 * @param sinkCpuNanos the sinks' CPU time over that span, -1 if unknown
 * @param sessions     SMTP sessions the sinks saw end for this drain (connections the contender opened)
 * @param loadStart    the machine's CPU counters at the start of the span, null if unknown
 * @param loadEnd      the same at its end
 */
record DrainResult(long messages, Rate fill, long nanos, long cpuNanos, boolean inThisJvm, String cpuDetail, long sinkCpuNanos,
                   long sessions, MachineLoad.Snapshot loadStart, MachineLoad.Snapshot loadEnd) {

    /** The same, with {@code note} added to {@link #cpuDetail()}. */
    DrainResult withNote(String note) {
        String detail = cpuDetail.isEmpty() ? note : cpuDetail + "; " + note;
        return new DrainResult(messages, fill, nanos, cpuNanos, inThisJvm, detail, sinkCpuNanos, sessions, loadStart, loadEnd);
    }

    double perSecond() {
        return messages * 1e9 / nanos;
    }

    /**
     * Share (0..1) of all CPUs that processes other than the contender and the sinks (and the
     * harness) used during the drain; -1 if unknown.
     */
    double othersShare() {
        long ours = Math.max(0, sinkCpuNanos) + (inThisJvm ? 0 : Math.max(0, cpuNanos));
        return MachineLoad.othersShare(loadStart, loadEnd, ours);
    }
}
