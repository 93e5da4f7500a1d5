package dev.outbox.bench;

import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.QueuePolicy;
import dev.outbox.routing.DnsServer;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.testing.dns.TestDns;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The delivery lane: how fast the queue engine drains a backlog to one destination, the SMTP
 * server being Postfix's {@link SmtpSink} on 127.0.0.1, so that the figure is the engine's and
 * its SMTP client's, not the receiver's.
 *
 * <p>Two variants, side by side in the same run, with the same connection limits (the adapter's
 * defaults): <b>smarthost</b>, every recipient relayed to the sink as a smarthost, and <b>MX</b>,
 * the recipient domain {@value #DOMAIN} routed by MX through a {@link TestDns} that says
 * {@code bench.example MX 10 mx.bench.example} and {@code mx.bench.example A 127.0.0.1}, with
 * the resolver's normal cache. Each measurement is one {@link Drain}. After one warm-up drain per
 * variant (the JIT compiles the paths), {@code --delivery-runs} rounds take one drain of each,
 * the variant that goes first changing each round, so that both see the same machine. A figure
 * is the median of its drains, shown with their range.
 *
 * <p>{@link #measure} adds the lane's lines above the table and its rows. Misuse and failures:
 * as {@link SmtpSink} and {@link Drain} report them, as {@link IllegalStateException}.
 */
final class DeliveryBenchmark {

    static final String DOMAIN = "bench.example";
    private static final String RECIPIENT = "bench@" + DOMAIN;
    /**
     * Outbox's own log, kept at warnings during the lane: each drain starts, recovers, pauses and
     * resumes an engine, six lines at INFO that would bury the progress lines. Held here, since
     * java.util.logging keeps its loggers only weakly.
     */
    private static final Logger OUTBOX_LOG = Logger.getLogger("dev.outbox");

    /**
     * One way of routing the backlog, with what delivers it.
     *
     * @param name        short, for progress lines and errors
     * @param figure      the table's row name
     * @param router      the engine's router: recipient to destination
     * @param deliverers  makes the deliverer of one drain (its resolver and timer thread go with it)
     */
    record Variant(String name, String figure, Function<String, Destination> router, Supplier<SmtpDeliverer> deliverers) {

        SmtpDeliverer deliverer() {
            return deliverers.get();
        }
    }

    private DeliveryBenchmark() {
    }

    static void measure(Report report, BenchSettings settings, Scratch scratch) throws Exception {
        SampleMail mail = SampleMail.ofSize(settings.deliveryBytes(), RECIPIENT);
        AdapterDefaults defaults = AdapterDefaults.read(scratch.root());
        StoreLayout layout = StoreLayout.of(settings);
        Level level = OUTBOX_LOG.getLevel();
        OUTBOX_LOG.setLevel(Level.WARNING);
        try (SmtpSink sink = SmtpSink.start(settings.smtpSink(), scratch.root().resolve("smtp-sink.log"));
             TestDns dns = TestDns.start()) {
            dns.mx(DOMAIN, 10, "mx." + DOMAIN).a("mx." + DOMAIN, "127.0.0.1");
            NextHop smarthost = new NextHop("127.0.0.1", sink.port());
            List<Variant> variants = List.of(
                    new Variant("smarthost", "delivery, smarthost: every recipient to 127.0.0.1",
                            recipient -> Destination.smarthost(smarthost), () -> new SmtpDeliverer(defaults.smtp())),
                    new Variant("MX", "delivery, MX: " + DOMAIN + " MX 10 mx." + DOMAIN + ", A 127.0.0.1",
                            Destination::ofRecipient,
                            () -> new SmtpDeliverer(defaults.smtp(),
                                    new MxResolver(DnsSettings.defaults().withServers(List.of(DnsServer.parse(dns.server())))), sink.port())));
            Map<Variant, List<Drain.Result>> drains = new LinkedHashMap<>();
            variants.forEach(variant -> drains.put(variant, new ArrayList<>()));
            Map<Variant, Integer> dnsQuestions = new LinkedHashMap<>();

            for (Variant variant : variants) {
                Progress.say("delivery: warm-up drain, %s", variant.name());
                drain(variant, defaults, layout, scratch, mail, settings, sink, "warm-up");
            }
            for (int round = 1; round <= settings.deliveryRuns(); round++) {
                List<Variant> order = new ArrayList<>(variants);
                if (round % 2 == 0) {
                    Collections.reverse(order);
                }
                for (Variant variant : order) {
                    int asked = dns.queries();
                    drains.get(variant).add(drain(variant, defaults, layout, scratch, mail, settings, sink, "run " + round));
                    dnsQuestions.merge(variant, dns.queries() - asked, Math::max);
                }
            }
            describe(report, settings, defaults, sink, drains);
            rows(report, settings, defaults.policy(), drains, dnsQuestions);
        } finally {
            OUTBOX_LOG.setLevel(level);
        }
    }

    private static Drain.Result drain(Variant variant, AdapterDefaults defaults, StoreLayout layout, Scratch scratch, SampleMail mail,
                                      BenchSettings settings, SmtpSink sink, String which) throws Exception {
        Path directory = scratch.fresh("delivery");
        try {
            Drain.Result result = Drain.run(variant, defaults, layout, directory, mail, settings.deliveries(), settings.submitters(), sink);
            Progress.say("delivery: %s, %s: %,.0f messages/s (%,d in %.2f s, %d connections)", variant.name(), which, result.perSecond(),
                    result.messages(), Report.seconds(result.nanos()), result.sessions());
            return result;
        } finally {
            scratch.delete(directory);
        }
    }

    private static void describe(Report report, BenchSettings settings, AdapterDefaults defaults, SmtpSink sink,
                                 Map<Variant, List<Drain.Result>> drains) {
        QueuePolicy policy = defaults.policy();
        report.context("delivery", String.format(Locale.ROOT,
                "a backlog of %,d messages of %,d bytes (one recipient each, one destination) submitted to a paused engine "
                        + "(MailQueue over JournalStore, %d submitters), then resumed: the time until every message is delivered and the store is empty; "
                        + "the adapter's defaults (%d connections per destination, %d messages per connection, TLS %s: smtp-sink offers none); "
                        + "smtp-sink on 127.0.0.1:%d; one warm-up drain per variant, then %d drains each, the variants taking turns",
                settings.deliveries(), settings.deliveryBytes(), settings.submitters(), policy.connectionsPerDestination().defaultValue(),
                policy.messagesPerConnection().defaultValue(), defaults.smtp().tls().toString().toLowerCase(Locale.ROOT), sink.port(), settings.deliveryRuns()));
        double others = 0;
        long sinkCpu = 0;
        long wall = 0;
        int measured = 0;
        for (List<Drain.Result> results : drains.values()) {
            for (Drain.Result result : results) {
                double share = MachineLoad.othersShare(result.loadStart(), result.loadEnd(), Math.max(0, result.sinkCpuNanos()));
                if (share >= 0) {
                    others += share;
                    measured++;
                }
                sinkCpu += Math.max(0, result.sinkCpuNanos());
                wall += result.nanos();
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        if (measured == 0) {
            report.context("others", "unknown during the drains (no /proc/stat): other processes may have slowed the delivery figures");
            return;
        }
        double share = others / measured;
        report.context("others", String.format(Locale.ROOT,
                "other processes and the kernel kept %.0f%% of the %d cores busy during the drains (smtp-sink itself took %.0f%%)%s",
                100 * share, cores, 100.0 * sinkCpu / wall / cores,
                share > 0.10 ? ": the machine was shared, and the delivery figures are lower than on an idle one" : ""));
    }

    private static void rows(Report report, BenchSettings settings, QueuePolicy policy, Map<Variant, List<Drain.Result>> drains,
                             Map<Variant, Integer> dnsQuestions) {
        report.section(String.format(Locale.ROOT,
                "Delivery of a backlog to smtp-sink: %,d messages of %,d bytes to one destination, %d connections x %d messages, %d drains each",
                settings.deliveries(), settings.deliveryBytes(), policy.connectionsPerDestination().defaultValue(),
                policy.messagesPerConnection().defaultValue(), settings.deliveryRuns()));
        double first = -1;
        List<Drain.Result> all = new ArrayList<>();
        for (Map.Entry<Variant, List<Drain.Result>> entry : drains.entrySet()) {
            List<Drain.Result> results = entry.getValue();
            all.addAll(results);
            double[] rates = results.stream().mapToDouble(Drain.Result::perSecond).toArray();
            double median = median(rates);
            String versus = first < 0 ? "" : Report.times(median / first) + " " + drains.keySet().iterator().next().name() + "; ";
            if (first < 0) {
                first = median;
            }
            long messages = results.stream().mapToLong(Drain.Result::messages).sum();
            long cpu = results.stream().mapToLong(Drain.Result::cpuNanos).sum();
            long sinkCpu = results.stream().mapToLong(Drain.Result::sinkCpuNanos).sum();
            long sessions = results.stream().mapToLong(Drain.Result::sessions).max().orElse(0);
            int questions = dnsQuestions.getOrDefault(entry.getKey(), 0);
            String dns = questions == 0 ? "" : String.format(Locale.ROOT, " (%d DNS questions a drain at most)", questions);
            report.row(entry.getKey().figure(), Report.whole(median), "messages/s", String.format(Locale.ROOT,
                    "%s%s; %s s a drain; %,d connections%s; %s us CPU each, smtp-sink %s us", versus, spread(rates, median),
                    Report.decimal(settings.deliveries() / median, 2), sessions, dns,
                    results.stream().anyMatch(r -> r.cpuNanos() < 0) ? "?" : Report.whole(cpu / 1e3 / messages),
                    results.stream().anyMatch(r -> r.sinkCpuNanos() < 0) ? "?" : Report.whole(sinkCpu / 1e3 / messages)));
        }
        double[] fills = all.stream().mapToDouble(result -> result.fill().perSecond()).toArray();
        double fill = median(fills);
        report.row(String.format(Locale.ROOT, "the backlog's submits, MailQueue.submit, %d submitters", settings.submitters()),
                Report.whole(fill), "submits/s", String.format(Locale.ROOT, "before each drain, not part of its time; %s",
                        spread(fills, fill)));
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
