package dev.outbox.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The flags of one run of the harness, each with its default: what {@code bench/run} passes
 * through to {@link Benchmark}. Relative paths are taken from the working directory.
 *
 * <p>{@link #parse} reads {@code --name value} pairs; a later flag overrides an earlier one, so a
 * script can put its defaults first and the user's flags after. {@link #USAGE} lists them.
 *
 * <p>Immutable. Misuse: an unknown flag, a missing value or a value out of range throws
 * {@link IllegalArgumentException} naming the flag and the range.
 *
 * @param lanes           what is measured: the store ({@link StoreBenchmark}), delivery
 *                        ({@link DeliveryBenchmark}), merge latency ({@link MergeLatencyBenchmark}), Outbox in WildFly at
 *                        scale ({@link ScaleBenchmark}), durable submit through the API ({@link SubmitLane}), or all
 * @param directory       where the scratch directory of the run is made (and deleted at the end):
 *                        the disk being measured
 * @param window          counted time of each rate: that many one-second turns, after {@link #warmUp()}
 * @param submitters      threads of the concurrent runs (the goal is stated for 16)
 * @param backlog         messages of the backlog whose recovery is measured; 0 skips it
 * @param backlogBytes    content size of each backlog message
 * @param segmentBytes    journal segment size given to the store
 * @param results         where the results table is written as well as printed
 * @param deliveries      messages of the delivery lane's backlog
 * @param deliveryBytes   content size of each of them
 * @param deliveryRuns    counted drains of each delivery variant, after one warm-up drain each
 * @param smtpSink        the smtp-sink program the delivery lane starts; Postfix's other programs
 *                        (postfix, postsuper, postqueue, smtp-source) are taken from its directory
 * @param deliveryVariants the delivery lane's backlogs, as DESTINATIONSxRECIPIENTS ("100x10"), in order
 * @param profile         whether Outbox's counted drains are recorded with JFR ({@link Profile})
 * @param mergeRecipients recipients the merge lane defers once and measures at their retry
 * @param mergeRate       how many of them a second are submitted (so deferred, and later due)
 * @param scaleMessages   messages queued in the scale lane's WildFly
 * @param scaleBytes      content size of each of them
 * @param scaleRestarts   timed restarts of that WildFly with them queued, and as many with an empty store
 */
record BenchSettings(Set<Lane> lanes, Path directory, Duration window, int submitters, long backlog, int backlogBytes,
                     long segmentBytes, Path results, int deliveries, int deliveryBytes, int deliveryRuns, Path smtpSink,
                     List<String> deliveryVariants, boolean profile, int mergeRecipients, int mergeRate,
                     long scaleMessages, int scaleBytes, int scaleRestarts) {

    BenchSettings {
        lanes = Set.copyOf(lanes);
        deliveryVariants = List.copyOf(deliveryVariants);
    }

    /** The delivery lane's backlogs, in the order given. */
    List<DeliveryBacklog> deliveryBacklogs() {
        return deliveryVariants.stream().map(variant -> DeliveryBacklog.parse(variant, deliveries, deliveryBytes)).toList();
    }

    /** Where Postfix's programs are: beside smtp-sink. */
    Path postfixPrograms() {
        Path parent = smtpSink.toAbsolutePath().getParent();
        return parent == null ? Path.of("/usr/sbin") : parent;
    }

    /** The parts of the harness, each a section of the table. */
    enum Lane {
        STORE, DELIVERY, MERGE, SCALE, SUBMIT
    }

    static final String USAGE = """
            Usage: bench/run [flags]   (or java -cp ... dev.outbox.bench.Benchmark [flags])
              --only LANE             measure one lane: store, delivery, merge, scale or submit (default: all, in that order)
              --dir PATH              disk to measure: a scratch directory is made inside it and deleted at the end (default: bench/target)
              --seconds N             counted seconds per rate, as one-second turns in rotation with the other rates (default 5, 1..600)
              --submitters N          threads of the concurrent runs (default 16, 2..1024)
              --backlog N             messages in the recovery backlog, 0 to skip (default 1000000)
              --backlog-bytes N       content bytes of each backlog message (default 1024, 256..1048576)
              --segment-mib N         journal segment size in MiB (default 64, 1..1024)
              --results PATH          where the table is written too (default: bench/target/results.txt)
            The delivery lane (a backlog drained to Postfix's smtp-sink on loopback by Outbox, by Postfix, and smtp-source's ceiling):
              --deliveries N          messages in each backlog (default 20000, 100..10000000)
              --delivery-bytes N      content bytes of each (default 4096, 512..1048576)
              --delivery-runs N       counted drains of each contender and variant, after one warm-up drain each (default 3, 1..50)
              --delivery-variants L   backlogs as DESTINATIONSxRECIPIENTS, comma-separated (default 1x1,1x10,100x1,100x10)
              --profile               record Outbox's counted drains with JFR into the results' directory, with a summary of hot methods
              --smtp-sink PATH        the smtp-sink program (default /usr/sbin/smtp-sink, from Debian's postfix); Postfix's
                                      other programs (postfix, postsuper, postqueue, smtp-source) are taken from its directory
            The merge lane (deferred recipients merged back at their retry time, beside Postfix's retry):
              --merge-recipients N    recipients deferred once, over 100 destinations (default 10000, 100..1000000)
              --merge-rate N          of them submitted a second, so as many fall due a second (default 200, 10..10000)
            The scale lane (Outbox in WildFly with a large queue: restart, heap, JMX):
              --scale-messages N      messages queued (default 1000000, 1000..50000000)
              --scale-bytes N         content bytes of each (default 1024, 512..1048576)
              --scale-restarts N      timed restarts with them queued, and as many with an empty store (default 3, 1..20)
            The submit lane (4 KiB submits through java:/eis/Outbox in WildFly, beside Postfix's smtpd and the store alone):
                                      takes --submitters threads and --seconds counted seconds, after 2 s of warm-up
            """;

    /** The delivery lane's variants when none are given. */
    static final List<String> DEFAULT_DELIVERY_VARIANTS = List.of("1x1", "1x10", "100x1", "100x10");

    /** Untimed first turn of each rate: JIT, file creation and the first segment roll stay out of the figures. */
    Duration warmUp() {
        return Duration.ofSeconds(1);
    }

    boolean measures(Lane lane) {
        return lanes.contains(lane);
    }

    static BenchSettings parse(String[] args) {
        Set<Lane> lanes = EnumSet.allOf(Lane.class);
        Path directory = Path.of("target");
        long seconds = 5;
        long submitters = 16;
        long backlog = 1_000_000;
        long backlogBytes = 1024;
        long segmentMib = 64;
        Path results = Path.of("target", "results.txt");
        long deliveries = 20_000;
        long deliveryBytes = 4096;
        long deliveryRuns = 3;
        Path smtpSink = SmtpSink.DEBIAN_PATH;
        long mergeRecipients = 10_000;
        long mergeRate = 200;
        List<String> variants = DEFAULT_DELIVERY_VARIANTS;
        boolean profile = false;
        long scaleMessages = 1_000_000;
        long scaleBytes = 1024;
        long scaleRestarts = 3;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (flag.equals("--profile")) {
                profile = true;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("flag " + flag + " needs a value");
            }
            String value = args[++i];
            switch (flag) {
                case "--only" -> lanes = EnumSet.of(lane(value));
                case "--dir" -> directory = Path.of(value);
                case "--seconds" -> seconds = Flags.number(flag, value, 1, 600);
                case "--submitters" -> submitters = Flags.number(flag, value, 2, 1024);
                case "--backlog" -> backlog = Flags.number(flag, value, 0, 100_000_000);
                case "--backlog-bytes" -> backlogBytes = Flags.number(flag, value, 256, 1024 * 1024);
                case "--segment-mib" -> segmentMib = Flags.number(flag, value, 1, 1024);
                case "--results" -> results = Path.of(value);
                case "--deliveries" -> deliveries = Flags.number(flag, value, 100, 10_000_000);
                case "--delivery-bytes" -> deliveryBytes = Flags.number(flag, value, 512, 1024 * 1024);
                case "--delivery-runs" -> deliveryRuns = Flags.number(flag, value, 1, 50);
                case "--smtp-sink" -> smtpSink = Path.of(value);
                case "--merge-recipients" -> mergeRecipients = Flags.number(flag, value, 100, 1_000_000);
                case "--merge-rate" -> mergeRate = Flags.number(flag, value, 10, 10_000);
                case "--delivery-variants" -> variants = variants(flag, value);
                case "--scale-messages" -> scaleMessages = Flags.number(flag, value, 1000, 50_000_000);
                case "--scale-bytes" -> scaleBytes = Flags.number(flag, value, 512, 1024 * 1024);
                case "--scale-restarts" -> scaleRestarts = Flags.number(flag, value, 1, 20);
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        BenchSettings settings = new BenchSettings(lanes, directory, Duration.ofSeconds(seconds), (int) submitters, backlog, (int) backlogBytes,
                segmentMib * 1024 * 1024, results, (int) deliveries, (int) deliveryBytes, (int) deliveryRuns, smtpSink, variants, profile,
                (int) mergeRecipients, (int) mergeRate, scaleMessages, (int) scaleBytes, (int) scaleRestarts);
        try {
            settings.deliveryBacklogs();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("flags --deliveries and --delivery-variants: " + e.getMessage(), e);
        }
        return settings;
    }

    private static Lane lane(String value) {
        for (Lane lane : Lane.values()) {
            if (lane.name().equalsIgnoreCase(value)) {
                return lane;
            }
        }
        throw new IllegalArgumentException("flag --only: '" + value + "' is not a lane: store, delivery, merge, scale or submit");
    }

    /** "1x1,100x10": each a valid backlog shape (checked with the smallest backlog that reaches its destinations), none twice. */
    private static List<String> variants(String flag, String value) {
        List<String> variants = new ArrayList<>();
        for (String variant : value.split(",")) {
            String key = variant.strip().toLowerCase(Locale.ROOT);
            try {
                DeliveryBacklog backlog = DeliveryBacklog.parse(key, DeliveryBacklog.MAX_DESTINATIONS, 4096);
                key = backlog.key();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("flag " + flag + ": " + e.getMessage(), e);
            }
            if (variants.contains(key)) {
                throw new IllegalArgumentException("flag " + flag + ": " + key + " is given twice");
            }
            variants.add(key);
        }
        return variants;
    }
}
