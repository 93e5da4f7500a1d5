package dev.outbox.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The harness's main class, what {@code bench/run} starts: measures the lanes the flags ask for
 * ({@link StoreBenchmark}, then {@link DeliveryBenchmark}, then {@link MergeLatencyBenchmark}, then {@link ScaleBenchmark}, then {@link SubmitLane}) in one run on one machine and prints
 * one table, also written to a file.
 *
 * <p>Above the table: the machine, the JVM options and the disk; then each lane's own lines.
 * Everything is written under one scratch directory inside {@code --dir}, deleted at the end,
 * also when a measurement fails. Flags: {@link BenchSettings}. Exit status: 0 after a complete
 * run, 2 for bad flags, 1 when a measurement failed.
 */
public final class Benchmark {

    private Benchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(BenchSettings.USAGE);
            return;
        }
        BenchSettings settings;
        try {
            settings = BenchSettings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.print(BenchSettings.USAGE);
            System.exit(2);
            return;
        }
        Report report = run(settings);
        System.out.println();
        System.out.print(report.render());
        report.write(settings.results());
        System.out.println();
        System.out.println("Written to " + settings.results().toAbsolutePath().normalize());
    }

    private static Report run(BenchSettings settings) throws Exception {
        Report report = new Report("Outbox benchmark, " + Instant.now().truncatedTo(ChronoUnit.SECONDS));
        try (Scratch scratch = Scratch.create(settings.directory())) {
            Progress.say("scratch directory %s", scratch.root());
            describe(report, scratch);
            if (settings.measures(BenchSettings.Lane.STORE)) {
                StoreBenchmark.measure(report, settings, scratch);
            }
            if (settings.measures(BenchSettings.Lane.DELIVERY)) {
                DeliveryBenchmark.measure(report, settings, scratch);
            }
            if (settings.measures(BenchSettings.Lane.MERGE)) {
                MergeLatencyBenchmark.measure(report, settings, scratch);
            }
            if (settings.measures(BenchSettings.Lane.SCALE)) {
                ScaleBenchmark.measure(report, settings, scratch);
            }
            if (settings.measures(BenchSettings.Lane.SUBMIT)) {
                SubmitLane.measure(report, settings, scratch);
            }
            Progress.say("deleting %s", scratch.root());
        }
        return report;
    }

    private static void describe(Report report, Scratch scratch) throws IOException {
        Runtime runtime = Runtime.getRuntime();
        report.context("machine", String.format(Locale.ROOT, "%d cores, %s, %s %s, Java %s (%s), max heap %,d MiB",
                runtime.availableProcessors(), operatingSystem(), System.getProperty("os.name"), System.getProperty("os.version"),
                System.getProperty("java.version"), System.getProperty("java.vm.name"), runtime.maxMemory() >> 20));
        List<String> options = ManagementFactory.getRuntimeMXBean().getInputArguments();
        report.context("JVM", options.isEmpty() ? "default options" : String.join(" ", options));
        FileStore disk = scratch.store();
        report.context("disk", String.format(Locale.ROOT, "%s (%s), %,d MiB free; files under %s",
                disk.name(), disk.type(), disk.getUsableSpace() >> 20, scratch.root()));
    }

    private static String operatingSystem() {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith("PRETTY_NAME=")) {
                    return line.substring("PRETTY_NAME=".length()).replace("\"", "");
                }
            }
        } catch (IOException e) {
            // not Linux, or no os-release: the os.name property below says enough
        }
        return "unknown distribution";
    }
}
