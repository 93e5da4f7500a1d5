package dev.outbox.bench;

import dev.outbox.testing.dns.TestDns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The merge lane: once a deferred recipient's due time comes, how soon is it attempted again?
 * DESIGN.md promises "within about one second"; issue 19 sets the goal that under load the 99th
 * percentile of attempt start minus due time is at most {@value #GOAL_P99_MILLIS} ms.
 *
 * <p>Outbox's figure comes from one {@link MergeRun}: {@code --merge-recipients} recipients
 * deferred once (a 451 at RCPT from a {@link RetryPeer}) over {@value MergeRun#DESTINATIONS}
 * destinations with the retry schedule {@value MergeRun#RETRY_SCHEDULE}, while a background
 * backlog drains to {@link SmtpSink}; the engine's retry clock is {@link TimerWakeups}, a JDK
 * timer doing what the EJB module's timers do in WildFly. Postfix's comparable figure comes from
 * a {@link PostfixRetry} of the lane's own, with its backoff and queue scan lowered to the same
 * wait, deferring and then accepting the same number of recipients through another
 * {@link RetryPeer}; Postfix has no due time of its own to read, so its delay is counted from its
 * first attempt plus the backoff.
 *
 * <p>{@link #measure} adds the lane's lines above the table and its rows. Failures: as
 * {@link MergeRun} and {@link PostfixRetry} report them. Where Postfix cannot run (not
 * installed, not root) its row says why and the rest is measured.
 */
final class MergeLatencyBenchmark {

    /** Issue 19's goal for the 99th percentile of attempt start minus due time, under load. */
    static final long GOAL_P99_MILLIS = 50;
    /** The deferred mail's first wait, for Postfix's figure (Outbox's due times are read, not computed). */
    private static final long WAIT_MILLIS = TimeUnit.SECONDS.toMillis(PostfixRetry.BACKOFF_SECONDS);
    /** As {@link DeliveryBenchmark}: the engine's INFO lines would bury the progress lines. */
    private static final Logger OUTBOX_LOG = Logger.getLogger("dev.outbox");

    /**
     * Postfix's part: the delays, or why there are none.
     *
     * @param retry      per recipient: its accepted RCPT minus its refused one, minus the backoff, in ms
     * @param interval   per recipient: its accepted RCPT minus its refused one, in ms
     * @param submitRate messages a second Postfix accepted them at
     * @param settings   the retry parameters as Postfix read them, and its version
     * @param times      per recipient, a CSV line: address, destination, first RCPT, second RCPT (epoch ms)
     * @param missing    why Postfix was not measured, or null
     */
    record PostfixFigure(Latencies retry, Latencies interval, double submitRate, String settings, List<String> times, String missing) {
    }

    private MergeLatencyBenchmark() {
    }

    static void measure(Report report, BenchSettings settings, Scratch scratch) throws Exception {
        AdapterDefaults defaults = AdapterDefaults.read(scratch.root());
        StoreLayout layout = StoreLayout.of(settings);
        int count = settings.mergeRecipients();
        Level level = OUTBOX_LOG.getLevel();
        OUTBOX_LOG.setLevel(Level.WARNING);
        MergeRun.Result outbox;
        try (SmtpSink sink = SmtpSink.start(settings.smtpSink(), "127.0.0.1", LoopbackPort.free(), scratch.root().resolve("merge-smtp-sink.log"));
             TestDns dns = TestDns.start();
             RetryPeer peer = RetryPeer.start()) {
            for (int d = 0; d < MergeRun.DESTINATIONS; d++) {
                dns.mx(MergeRun.destination(d), 10, "mx." + MergeRun.DOMAIN);
            }
            dns.a("mx." + MergeRun.DOMAIN, "127.0.0.1");
            Progress.say("merge: Outbox: retry peer (scripted SMTP server) on 127.0.0.1:%d, background to smtp-sink on 127.0.0.1:%d",
                    peer.port(), sink.port());
            Path directory = scratch.fresh("merge");
            try {
                outbox = MergeRun.run(defaults, layout, directory, count, settings.mergeRate(), settings.deliveryBytes(), sink, peer, dns);
            } finally {
                scratch.delete(directory);
            }
        } finally {
            OUTBOX_LOG.setLevel(level);
        }
        Progress.say("merge: Outbox: RCPT at the peer minus due time: %s; merged minus due: %s; in flight minus merged: %s; RCPT minus in flight: %s",
                outbox.atPeer(), outbox.merged(), outbox.waited(), outbox.connecting());
        PostfixFigure postfix = postfix(scratch, count, settings.mergeRate(), settings.deliveryBytes());
        if (postfix.missing() == null) {
            Progress.say("merge: Postfix: retry minus (first attempt + %d s): %s", PostfixRetry.BACKOFF_SECONDS, postfix.retry());
        }
        describe(report, settings, outbox, postfix);
        rows(report, count, settings.mergeRate(), outbox, postfix);
        writeTimes(timesFile(settings), outbox, postfix);
    }

    /** Where every measured recipient's times go: beside the results table. */
    static Path timesFile(BenchSettings settings) {
        Path results = settings.results().toAbsolutePath().normalize();
        return results.resolveSibling("merge-latency.csv");
    }

    /** One CSV line per measured recipient of either system, so a distribution can be looked at beyond its three figures. */
    private static void writeTimes(Path file, MergeRun.Result outbox, PostfixFigure postfix) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add("system,recipient,destination,first_rcpt_ms,due_ms,merged_ms,in_flight_ms,second_rcpt_ms");
        outbox.times().forEach(line -> {
            String[] f = line.split(",");
            lines.add(String.join(",", "outbox", f[0], f[1], f[2], f[3], f[4], f[5], f[6]));
        });
        postfix.times().forEach(line -> {
            String[] f = line.split(",");
            lines.add(String.join(",", "postfix", f[0], f[1], f[2], "", "", "", f[3]));
        });
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.US_ASCII);
        Progress.say("merge: every recipient's times written to %s", file);
    }

    private static PostfixFigure postfix(Scratch scratch, int count, int perSecond, int bytes) throws Exception {
        String unavailable = PostfixRetry.unavailable();
        if (unavailable != null) {
            return new PostfixFigure(null, null, 0, "", List.of(), unavailable);
        }
        List<String> recipients = new ArrayList<>(count);
        for (int k = 0; k < count; k++) {
            recipients.add("p" + k + "@" + MergeRun.destination(k));
        }
        byte[] content = SampleMail.ofSize(bytes, recipients.get(0)).content();
        Path directory = scratch.fresh("merge-postfix");
        try (RetryPeer peer = RetryPeer.start();
             PostfixRetry postfix = PostfixRetry.start(directory, scratch.root(), peer.port())) {
            String settings = postfix.settings("mail_version", "minimal_backoff_time", "maximal_backoff_time", "queue_run_delay");
            Progress.say("merge: Postfix: %s; submitting %,d recipients over SMTP, %,d a second at most", settings, count,
                    perSecond);
            double rate = postfix.submit(recipients, content, perSecond);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(MergeRun.STALL_SECONDS + PostfixRetry.BACKOFF_SECONDS);
            while (peer.accepted() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(String.format(Locale.ROOT, "Postfix retried %,d of %,d recipients within %d s of the last submit; its log ends: %s",
                            peer.accepted(), count, MergeRun.STALL_SECONDS + PostfixRetry.BACKOFF_SECONDS, postfix.logTail()));
                }
                Thread.sleep(20);
            }
            long[] retry = new long[count];
            long[] interval = new long[count];
            List<String> times = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                String recipient = recipients.get(k);
                interval[k] = peer.acceptedAt(recipient) - peer.refusedAt(recipient);
                retry[k] = interval[k] - WAIT_MILLIS;
                times.add(String.join(",", recipient, MergeRun.destination(k), Long.toString(peer.refusedAt(recipient)),
                        Long.toString(peer.acceptedAt(recipient))));
            }
            return new PostfixFigure(Latencies.of(retry), Latencies.of(interval), rate, settings, times, null);
        } finally {
            scratch.delete(directory);
        }
    }

    private static void describe(Report report, BenchSettings settings, MergeRun.Result outbox, PostfixFigure postfix) {
        report.context("merge", String.format(Locale.ROOT,
                "%,d recipients (after %,d not counted), one a message of %,d bytes, submitted at %,d a second (%,.0f reached) to %d destinations "
                        + "routed by MX (TestDns) to a scripted SMTP server on 127.0.0.1 that answers each one's first RCPT %d and accepts the next; "
                        + "retry schedule %s (+0..10%% jitter); meanwhile a feeder keeps %,d or more messages of that size ready for smtp-sink "
                        + "(smarthost 127.0.0.1), so that destination drains at full rate; the adapter's default limits; "
                        + "the retry clock is a JDK ScheduledThreadPoolExecutor (%d threads) standing in for WildFly's EJB timers, and it sweeps every %d s as they do",
                outbox.submitted(), MergeRun.warmUp(outbox.submitted()), settings.deliveryBytes(), settings.mergeRate(), outbox.submitRate(),
                MergeRun.DESTINATIONS, RetryPeer.FIRST_REPLY_CODE, MergeRun.RETRY_SCHEDULE, MergeRun.LOAD_LOW_WATER,
                TimerWakeups.THREADS, TimerWakeups.SWEEP_SECONDS));
        report.context("merge due", "each recipient's due time is the one the engine persisted when it deferred it (read at the store SPI), "
                + "its merge and its take in flight the engine's transitions to QUEUED and IN_FLIGHT, its retry's start the moment the peer "
                + "read its second RCPT; all in ms of one clock");
        if (postfix.missing() == null) {
            report.context("postfix", String.format(Locale.ROOT,
                    "an instance of the lane's own (postfix -c, loopback only, no DNS, relayhost a scripted server as above), %s; "
                            + "the same recipients at the same pace over SMTP, 4 sessions, %,.0f a second reached; no background load; Postfix keeps "
                            + "no due time to read, so its delay is its second RCPT minus (its first + %d s)",
                    postfix.settings(), postfix.submitRate(), PostfixRetry.BACKOFF_SECONDS));
        }
        if (outbox.othersShare() >= 0) {
            report.context("others", String.format(Locale.ROOT,
                    "other processes and the kernel kept %.0f%% of the %d cores busy during the merge lane's measurement (smtp-sink not counted)%s",
                    100 * outbox.othersShare(), Runtime.getRuntime().availableProcessors(),
                    outbox.othersShare() > 0.10 ? ": the machine was shared, and the figures are worse than on an idle one" : ""));
        }
    }

    private static void rows(Report report, int count, int rate, MergeRun.Result outbox, PostfixFigure postfix) {
        report.section(String.format(Locale.ROOT,
                "Merge latency: %,d recipients deferred once across %d destinations, %,d a second, retried at their due time (%s + jitter) while other mail drains at full rate",
                count, MergeRun.DESTINATIONS, rate, MergeRun.RETRY_SCHEDULE));
        double seconds = Report.seconds(outbox.nanos());
        report.row("Outbox: retry's RCPT at the peer minus due time", outbox.atPeer().summary(), "ms p50/p99/max", String.format(Locale.ROOT,
                "%,d recipients; min %d ms; %,d above %d ms; background %,.0f messages/s to smtp-sink meanwhile (%,d in %.1f s); "
                        + "%,d wake-ups fired of %,d asked; StuckRecovered %d, OverdueRecipients %d at the end; %d repeated RCPTs; %s",
                outbox.atPeer().count(), outbox.atPeer().min(), outbox.atPeer().above(GOAL_P99_MILLIS), GOAL_P99_MILLIS,
                outbox.background() / seconds, outbox.background(), seconds, outbox.wakeupsFired(), outbox.wakeupsAsked(),
                outbox.stuckRecovered(), outbox.overdue(), outbox.repeats(), outbox.retries() == 0
                        ? "no queue entered RETRY" : outbox.retries() + " times a queue entered RETRY, first: " + outbox.firstRetry()));
        report.row("  of which: merged back minus due time", outbox.merged().summary(), "ms p50/p99/max",
                "the retry clock's lateness and the wake-up's own work: DEFERRED to QUEUED, as the engine's transition says");
        report.row("  then: taken in flight minus merged", outbox.waited().summary(), "ms p50/p99/max", String.format(Locale.ROOT,
                "waiting for a connection under the limits (%d per destination, %d in all) and its thread; all %d open %.0f%% of the time, %.1f open on average",
                outbox.perDestination(), outbox.maxConnections(), outbox.maxConnections(), 100 * outbox.capFull(), outbox.meanOpen()));
        report.row("  then: RCPT at the peer minus taken in flight", outbox.connecting().summary(), "ms p50/p99/max",
                "the MX lookup (cached), TCP connect, greeting, EHLO and MAIL on a new connection");
        long p99 = outbox.atPeer().p99();
        report.row(String.format(Locale.ROOT, "goal: p99 of retry start minus due time <= %d ms", GOAL_P99_MILLIS),
                p99 <= GOAL_P99_MILLIS ? "MET" : "NOT MET", "", String.format(Locale.ROOT, "p99 %d ms at the peer (the merge itself: p99 %d ms)",
                        p99, outbox.merged().p99()));
        if (postfix.missing() != null) {
            report.row("Postfix: retry's RCPT minus (first RCPT + backoff)", "-", "", "not measured: " + postfix.missing());
        } else {
            report.row(String.format(Locale.ROOT, "Postfix: retry's RCPT minus (first RCPT + %d s)", PostfixRetry.BACKOFF_SECONDS),
                    postfix.retry().summary(), "ms p50/p99/max", String.format(Locale.ROOT,
                            "%,d recipients; min %d ms%s; first to second RCPT %s ms", postfix.retry().count(), postfix.retry().min(),
                            postfix.retry().min() < 0 ? " (retried before its backoff: whole-second time stamps, and a queue scan takes files up to 1 s early)" : "",
                            postfix.interval().summary()));
        }
        report.row("recipients measured", Report.whole(outbox.atPeer().count()), "recipients", postfix.missing() != null
                ? "Outbox; Postfix none"
                : String.format(Locale.ROOT, "Outbox, and %,d for Postfix; each deferred once, then delivered", postfix.retry().count()));
    }
}
