package dev.outbox.bench;

import dev.outbox.bench.DeliveryBenchmark.Contender;
import dev.outbox.bench.DeliveryBenchmark.Kind;
import dev.outbox.queue.QueuePolicy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The delivery lane's part of the {@link Report}: its lines above the table, a section per
 * backlog with a row per contender and the goals, and the fills.
 *
 * <p>{@link #describe} adds the lane's context lines; {@link #backlog} the section of one
 * backlog: each contender's rate (the median of its counted drains, with their range), its CPU
 * a message (the sum of its drains' CPU over their messages), and the goal rows, each ratio
 * given as a ratio of medians and round by round (a contender's drain beside the other's of the
 * same round); {@link #profile} a line naming a profile's summary; {@link #fills} the rates at
 * which the backlogs were queued; {@link #others} how busy the machine was meanwhile. Not
 * thread-safe: the lane's main thread fills it.
 */
final class DeliveryTable {

    /** The goals: Outbox's rate at least 4x Postfix's and half the ceiling, at a quarter of Postfix's CPU a message at most. */
    static final double RATE_OVER_POSTFIX = 4;
    static final double RATE_OVER_CEILING = 0.5;
    static final double CPU_OVER_POSTFIX = 0.25;

    private final Report report;
    private final BenchSettings settings;
    private final QueuePolicy policy;
    private final List<DrainResult> outboxFills = new ArrayList<>();
    private final List<DrainResult> postfixFills = new ArrayList<>();
    private final List<DrainResult> all = new ArrayList<>();

    DeliveryTable(Report report, BenchSettings settings, QueuePolicy policy) {
        this.report = report;
        this.settings = settings;
        this.policy = policy;
    }

    void describe(SmtpSinks sinks, String postfix) {
        report.context("delivery", String.format(Locale.ROOT,
                "backlogs of %,d messages of %,d bytes, queued while the next hop is held (Outbox: submitted to a paused engine, MailQueue over "
                        + "JournalStore, %d submitters; Postfix: into its smtpd with smtp-source, %d sessions, onto hold, then moved to the deferred "
                        + "queue), then released (resume; postqueue -f): the time until the sinks have every message; Outbox with the adapter's "
                        + "defaults (%d connections per destination, %d at most over all, %d messages per connection, TLS opportunistic: "
                        + "smtp-sink offers none); %d smtp-sink%s on port %d; one warm-up drain per contender, then %d drain%s each, taking turns",
                settings.deliveries(), settings.deliveryBytes(), settings.submitters(), settings.submitters(),
                policy.connectionsPerDestination().defaultValue(), policy.maxConnections(), policy.messagesPerConnection().defaultValue(),
                sinks.size(), sinks.size() == 1 ? "" : "s", sinks.port(), settings.deliveryRuns(), settings.deliveryRuns() == 1 ? "" : "s"));
        report.context("postfix", postfix + "; default_destination_concurrency_limit = " + policy.connectionsPerDestination().defaultValue()
                + " and smtp maxproc = " + policy.maxConnections() + " as Outbox's limits, the rest Postfix's defaults (unlimited connection reuse)");
        report.context("CPU", "Outbox: this JVM's CPU time less the harness's own threads (ThreadMXBean); Postfix: its master's process group "
                + "from /proc/PID/stat, utime+stime with the daemons it reaped, postlogd apart (syslog's work elsewhere); smtp-source: its own, "
                + "reaped by this JVM; the sinks' CPU apart in each row; per message, whatever its recipients");
    }

    void backlog(DeliveryBacklog backlog, Map<Contender, List<DrainResult>> drains, String noPostfix) {
        report.section(String.format(Locale.ROOT, "Draining %,d messages of %,d bytes, %s: %d connections at most, %d drain%s each",
                backlog.messages(), backlog.bytes(), backlog.title(), DeliveryBenchmark.sessions(backlog, policy), settings.deliveryRuns(),
                settings.deliveryRuns() == 1 ? "" : "s"));
        Contender firstOutbox = null;
        Contender postfix = null;
        Contender ceiling = null;
        for (Map.Entry<Contender, List<DrainResult>> entry : drains.entrySet()) {
            Contender contender = entry.getKey();
            List<DrainResult> results = entry.getValue();
            all.addAll(results);
            String versus = "";
            switch (contender.kind()) {
                case OUTBOX -> {
                    results.forEach(outboxFills::add);
                    if (firstOutbox == null) {
                        firstOutbox = contender;
                    } else {
                        versus = Report.times(median(drains.get(contender)) / median(drains.get(firstOutbox))) + " " + firstOutbox.name() + "; ";
                    }
                }
                case POSTFIX -> {
                    results.forEach(postfixFills::add);
                    postfix = contender;
                }
                case CEILING -> ceiling = contender;
            }
            report.row(contender.figure(), Report.whole(median(results)), "messages/s", versus + drainsText(results) + "; " + cpuText(contender, results));
        }
        Objects.requireNonNull(firstOutbox, "a backlog without Outbox");
        List<DrainResult> outbox = drains.get(firstOutbox);
        if (postfix == null) {
            report.row(String.format(Locale.ROOT, "goal: Outbox >= %sx Postfix's rate", Report.decimal(RATE_OVER_POSTFIX, 0)), "not measured", "", noPostfix);
        } else {
            List<DrainResult> theirs = drains.get(postfix);
            rateGoal(String.format(Locale.ROOT, "goal: Outbox >= %sx Postfix's rate", Report.decimal(RATE_OVER_POSTFIX, 0)), outbox, theirs, RATE_OVER_POSTFIX);
        }
        rateGoal(String.format(Locale.ROOT, "goal: Outbox >= %sx the ceiling", Report.decimal(RATE_OVER_CEILING, 1)), outbox,
                drains.get(Objects.requireNonNull(ceiling, "a backlog without the ceiling")), RATE_OVER_CEILING);
        String cpuGoal = String.format(Locale.ROOT, "goal: Outbox's CPU a message <= %sx Postfix's", Report.decimal(CPU_OVER_POSTFIX, 2));
        double ours = cpuMicros(outbox);
        double theirs = postfix == null ? -1 : cpuMicros(drains.get(postfix));
        if (postfix == null || ours < 0 || theirs <= 0) {
            report.row(cpuGoal, "not measured", "", postfix == null ? noPostfix : "a CPU time could not be read from /proc");
        } else {
            double ratio = ours / theirs;
            report.row(cpuGoal, ratio <= CPU_OVER_POSTFIX ? "MET" : "NOT MET", "", String.format(Locale.ROOT,
                    "%s: %s / %s us a message (each the sum over its drains)", Report.times(ratio), Report.whole(ours), Report.whole(theirs)));
        }
    }

    void profile(DeliveryBacklog backlog, Path summary) {
        if (summary != null) {
            report.context("profile", backlog.key() + ": " + summary + " (JFR recordings beside it)");
        }
    }

    void fills() {
        if (!outboxFills.isEmpty()) {
            double[] rates = outboxFills.stream().mapToDouble(result -> result.fill().perSecond()).toArray();
            report.row(String.format(Locale.ROOT, "queueing the backlogs: Outbox, MailQueue.submit, %d submitters", settings.submitters()),
                    Report.whole(median(rates)), "submits/s", "before each drain, not part of its time; " + spread(rates, median(rates)));
        }
        if (!postfixFills.isEmpty()) {
            double[] rates = postfixFills.stream().mapToDouble(result -> result.fill().perSecond()).toArray();
            report.row(String.format(Locale.ROOT, "queueing the backlogs: Postfix's smtpd from smtp-source, %d sessions, onto hold", settings.submitters()),
                    Report.whole(median(rates)), "messages/s", "before each drain, not part of its time; one smtp-source run per destination, up to " + settings.submitters() + " at once; "
                            + spread(rates, median(rates)));
        }
    }

    void others() {
        double others = 0;
        long sinkCpu = 0;
        long wall = 0;
        int measured = 0;
        for (DrainResult result : all) {
            double share = result.othersShare();
            if (share >= 0) {
                others += share;
                measured++;
            }
            sinkCpu += Math.max(0, result.sinkCpuNanos());
            wall += result.nanos();
        }
        int cores = Runtime.getRuntime().availableProcessors();
        if (measured == 0) {
            report.context("others", "unknown during the drains (no /proc/stat): other processes may have slowed the delivery figures");
            return;
        }
        double share = others / measured;
        report.context("others", String.format(Locale.ROOT,
                "other processes and the kernel kept %.0f%% of the %d cores busy during the drains (not counting the contender and the "
                        + "sinks; the sinks took %.0f%%)%s", 100 * share, cores, 100.0 * sinkCpu / wall / cores,
                share > 0.10 ? ": the machine was shared, and the delivery figures are lower than on an idle one" : ""));
    }

    /** A goal on rates: MET or NOT MET, the ratio of the medians and the ratios round by round. */
    private void rateGoal(String figure, List<DrainResult> ours, List<DrainResult> theirs, double goal) {
        double ratio = median(ours) / median(theirs);
        double[] rounds = new double[Math.min(ours.size(), theirs.size())];
        for (int i = 0; i < rounds.length; i++) {
            rounds[i] = ours.get(i).perSecond() / theirs.get(i).perSecond();
        }
        double low = Arrays.stream(rounds).min().orElse(ratio);
        double high = Arrays.stream(rounds).max().orElse(ratio);
        report.row(figure, ratio >= goal ? "MET" : "NOT MET", "", String.format(Locale.ROOT, "%s: %s / %s messages/s (medians); round by round %s..%s",
                Report.times(ratio), Report.whole(median(ours)), Report.whole(median(theirs)), Report.times(low), Report.times(high)));
    }

    /** "median of 3 drains, which ranged ...; 5.38 s a drain; 202 connections". */
    private String drainsText(List<DrainResult> results) {
        double median = median(results);
        double[] rates = results.stream().mapToDouble(DrainResult::perSecond).toArray();
        long sessions = results.stream().mapToLong(DrainResult::sessions).max().orElse(0);
        return String.format(Locale.ROOT, "%s; %s s a drain; %,d connections", spread(rates, median),
                Report.decimal(results.get(0).messages() / median, 2), sessions);
    }

    /** "255 us CPU a message (...), smtp-sink 66 us", the detail from the median drain (by rate). */
    private static String cpuText(Contender contender, List<DrainResult> results) {
        double cpu = cpuMicros(results);
        long sinkCpu = results.stream().mapToLong(DrainResult::sinkCpuNanos).sum();
        long messages = results.stream().mapToLong(DrainResult::messages).sum();
        String sink = results.stream().anyMatch(r -> r.sinkCpuNanos() < 0) ? "?" : Report.whole(sinkCpu / 1e3 / messages);
        String detail = results.stream().sorted(Comparator.comparingDouble(DrainResult::perSecond)).toList().get(results.size() / 2).cpuDetail();
        String whose = contender.kind() == Kind.CEILING ? "smtp-source " : "";
        return String.format(Locale.ROOT, "%s%s us CPU a message%s, smtp-sink %s us", whose, cpu < 0 ? "?" : Report.whole(cpu),
                detail.isEmpty() ? "" : " (" + detail + ")", sink);
    }

    /** The contender's CPU over its drains, per message; -1 if any is unknown. */
    static double cpuMicros(List<DrainResult> results) {
        if (results.stream().anyMatch(r -> r.cpuNanos() < 0)) {
            return -1;
        }
        long cpu = results.stream().mapToLong(DrainResult::cpuNanos).sum();
        long messages = results.stream().mapToLong(DrainResult::messages).sum();
        return cpu / 1e3 / messages;
    }

    private static double median(List<DrainResult> results) {
        return median(results.stream().mapToDouble(DrainResult::perSecond).toArray());
    }

    /** "median of 3 drains, which ranged 3,100..3,500 (-4%..+6%)". */
    static String spread(double[] values, double median) {
        double low = Arrays.stream(values).min().orElse(Double.NaN);
        double high = Arrays.stream(values).max().orElse(Double.NaN);
        if (values.length == 1) {
            return "1 drain";
        }
        return String.format(Locale.ROOT, "median of %d drains, which ranged %s..%s (%+.1f%%..%+.1f%%)", values.length,
                Report.whole(low), Report.whole(high), 100 * (low / median - 1), 100 * (high / median - 1));
    }

    /** The middle value, or the mean of the two middle ones. */
    static double median(double[] values) {
        if (values.length == 0) {
            throw new IllegalArgumentException("the median of no values");
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }
}
