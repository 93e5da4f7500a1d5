package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * The ceiling of the delivery lane: what this machine moves over SMTP on loopback with no queue
 * at all, {@code smtp-source} straight into a sink with as many sessions as the contenders may
 * open ({@code -s}), each session carrying message after message ({@code -d}), the same message
 * file and the same recipients ({@code -r}). A contender's rate over this one is the share of the
 * machine's SMTP capacity its queue leaves.
 *
 * <p>{@link #run} sends the backlog's count to the first sink of the backlog (one sink, even for
 * the many-destination variants: the ceiling has no destinations) and returns it as a drain:
 * the time of the smtp-source run, its CPU time, and the sinks' CPU and sessions. smtp-source
 * does not pipeline, as Angus does not; Postfix does. Misuse and failures: as
 * {@link SmtpSource#send}; a sink count that is not the backlog's throws
 * {@link IllegalStateException}.
 */
final class Ceiling {

    private Ceiling() {
    }

    static DrainResult run(SmtpSource source, DeliveryBacklog backlog, Path content, int sessions, SmtpSinks sinks)
            throws IOException, InterruptedException {
        DeliveryBacklog.Site site = backlog.sites().get(0);
        long sinkMessages = sinks.messages();
        long sinkSessions = sinks.sessions();
        MachineLoad.Snapshot loadStart = MachineLoad.now();
        long sinkCpuStart = sinks.cpuNanos();
        SmtpSource.Run run = source.send(site.address(), sinks.port(), sessions, backlog.messages(), backlog.recipients(), content,
                "bench@" + site.domain());
        long sinkCpuEnd = sinks.cpuNanos();
        MachineLoad.Snapshot loadEnd = MachineLoad.now();
        long counted = sinks.awaitMessages(sinkMessages + backlog.messages(), TimeUnit.SECONDS.toNanos(5)) - sinkMessages;
        if (counted != backlog.messages()) {
            throw new IllegalStateException(String.format(Locale.ROOT, "smtp-source sent %,d messages, but %s counted %,d",
                    backlog.messages(), sinks, counted));
        }
        long sessionsSeen = sinks.settledSessions(200, 3_000) - sinkSessions;
        long sinkCpu = sinkCpuStart < 0 || sinkCpuEnd < 0 ? -1 : sinkCpuEnd - sinkCpuStart;
        return new DrainResult(backlog.messages(), null, run.nanos(), run.cpuNanos(), false, "", sinkCpu, sessionsSeen, loadStart, loadEnd);
    }
}
