package dev.outbox.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
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
 *                        ({@link DeliveryBenchmark}), or both
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
 * @param smtpSink        the smtp-sink program the delivery lane starts
 */
record BenchSettings(Set<Lane> lanes, Path directory, Duration window, int submitters, long backlog, int backlogBytes,
                     long segmentBytes, Path results, int deliveries, int deliveryBytes, int deliveryRuns, Path smtpSink) {

    BenchSettings {
        lanes = Set.copyOf(lanes);
    }

    /** The parts of the harness, each a section of the table. */
    enum Lane {
        STORE, DELIVERY
    }

    static final String USAGE = """
            Usage: bench/run [flags]   (or java -cp ... dev.outbox.bench.Benchmark [flags])
              --only LANE             measure one lane: store or delivery (default: both, the store first)
              --dir PATH              disk to measure: a scratch directory is made inside it and deleted at the end (default: bench/target)
              --seconds N             counted seconds per rate, as one-second turns in rotation with the other rates (default 5, 1..600)
              --submitters N          threads of the concurrent runs (default 16, 2..1024)
              --backlog N             messages in the recovery backlog, 0 to skip (default 1000000)
              --backlog-bytes N       content bytes of each backlog message (default 1024, 256..1048576)
              --segment-mib N         journal segment size in MiB (default 64, 1..1024)
              --results PATH          where the table is written too (default: bench/target/results.txt)
            The delivery lane (a backlog drained to Postfix's smtp-sink on 127.0.0.1):
              --deliveries N          messages in its backlog (default 20000, 100..10000000)
              --delivery-bytes N      content bytes of each (default 4096, 512..1048576)
              --delivery-runs N       counted drains of each variant, after one warm-up drain each (default 3, 1..50)
              --smtp-sink PATH        the smtp-sink program (default /usr/sbin/smtp-sink, from Debian's postfix)
            """;

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
        for (Flags.Pair pair : Flags.pairs(args)) {
            String flag = pair.flag();
            String value = pair.value();
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
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        return new BenchSettings(lanes, directory, Duration.ofSeconds(seconds), (int) submitters, backlog, (int) backlogBytes,
                segmentMib * 1024 * 1024, results, (int) deliveries, (int) deliveryBytes, (int) deliveryRuns, smtpSink);
    }

    private static Lane lane(String value) {
        for (Lane lane : Lane.values()) {
            if (lane.name().equalsIgnoreCase(value)) {
                return lane;
            }
        }
        throw new IllegalArgumentException("flag --only: '" + value + "' is neither store nor delivery");
    }
}
