package dev.outbox.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The store lane: every figure of the embedded store measured in one run on one disk, each
 * beside the disk's own limit.
 *
 * <p>First the rates, taken in turns ({@link Interleaved}) so that all see the same disk: the
 * disk's single-writer fsync rate ({@link FsyncBaseline}, the reference), a spool directory with
 * a file per message ({@link SpoolBaseline}), and durable submits through
 * {@code JournalStore.add} with 1 and many submitters for 4 KiB and 64 KiB messages
 * ({@link SubmitBenchmark}). The goal, many submitters at 10 times the disk's
 * single-writer fsync rate or more, is stated as met or not. Then the recovery time and heap of a
 * large backlog ({@link BacklogBenchmark}). {@link #measure} adds its lines above the table (the
 * method, and how busy other processes kept the CPUs, {@link MachineLoad}) and its rows.
 *
 * <p>Everything is written under the run's scratch directory, and each measurement's files are
 * deleted once it is taken. Failures of a measurement propagate as they are.
 */
final class StoreBenchmark {

    /** The goal of the store issue: concurrent submitters at this multiple of the single-writer fsync rate. */
    static final double GOAL_TIMES_FSYNC = 10.0;

    private static final int SMALL = 4 * 1024;
    private static final int LARGE = 64 * 1024;

    /** One counted turn of a figure; {@code --seconds} of them make the figure. */
    private static final Duration SLICE = Duration.ofSeconds(1);

    /** Before each counted turn: the threads start and reach their pace. */
    private static final Duration RAMP_UP = Duration.ofMillis(250);

    private StoreBenchmark() {
    }

    /** The rates of the throughput phase, all taken in turns ({@link Interleaved}). */
    private record Throughput(Interleaved.Lane fsync, Interleaved.Lane fsyncLarge, Interleaved.Lane overwrite, Interleaved.Lane bound,
                              Interleaved.Lane boundLarge, Interleaved.Lane spool, Interleaved.Lane spoolMany,
                              List<Interleaved.Lane> submits, double othersShare) {

        /** Records per second the disk takes when each sync carries as many records as there are submitters. */
        double boundPerSecond(int bytesEach) {
            Interleaved.Lane lane = bytesEach == SMALL ? bound : boundLarge;
            return lane.rate().perSecond() * lane.bytesEach / bytesEach;
        }
    }

    static void measure(Report report, BenchSettings settings, Scratch scratch) throws Exception {
        StoreLayout layout = StoreLayout.of(settings);
        report.context("method", String.format(Locale.ROOT,
                "each rate counted over %d one-second turns, in rotation with the other rates so that all see the same disk "
                        + "(after one %d s warm-up turn each); JournalStore with %d MiB segments; content canonical RFC 5322, one recipient",
                settings.window().toSeconds(), settings.warmUp().toSeconds(), settings.segmentBytes() >> 20));
        Throughput throughput = throughput(settings, layout, scratch);
        BacklogBenchmark.Result backlog = null;
        if (settings.backlog() > 0) {
            Path directory = scratch.fresh("backlog");
            try {
                backlog = BacklogBenchmark.measure(layout, scratch, directory, SampleMail.ofSize(settings.backlogBytes()), settings.backlog());
            } finally {
                Progress.say("backlog: deleting %s", directory);
                scratch.delete(directory);
            }
        }
        background(report, throughput.othersShare(), backlog == null ? -1 : backlog.fillOthersShare());
        baselines(report, throughput, settings.submitters());
        submits(report, throughput, settings.submitters());
        if (backlog != null) {
            backlog(report, backlog, throughput.fsync().rate());
        }
    }

    /** Every rate, in turns: the disk's limit, the spool, and the store with 1 and many submitters. */
    private static Throughput throughput(BenchSettings settings, StoreLayout layout, Scratch scratch) throws Exception {
        int many = settings.submitters();
        SampleMail small = SampleMail.ofSize(SMALL);
        SampleMail large = SampleMail.ofSize(LARGE);
        Interleaved turns = new Interleaved();
        Interleaved.Lane fsync = turns.lane("raw fsync, 4 KiB", 1, SMALL,
                FsyncBaseline.appends(scratch.root().resolve("fsync-4k.dat"), small.content()));
        Interleaved.Lane fsyncLarge = turns.lane("raw fsync, 64 KiB", 1, LARGE,
                FsyncBaseline.appends(scratch.root().resolve("fsync-64k.dat"), large.content()));
        Interleaved.Lane overwrite = turns.lane("raw fsync, 4 KiB, preallocated", 1, SMALL,
                FsyncBaseline.overwrites(scratch.root().resolve("overwrite-4k.dat"), small.content(), 1));
        Interleaved.Lane bound = turns.lane("raw fsync, " + many + " x 4 KiB, preallocated", 1, many * SMALL,
                FsyncBaseline.overwrites(scratch.root().resolve("bound-4k.dat"), small.content(), many));
        Interleaved.Lane boundLarge = turns.lane("raw fsync, " + many + " x 64 KiB, preallocated", 1, many * LARGE,
                FsyncBaseline.overwrites(scratch.root().resolve("bound-64k.dat"), large.content(), many));
        Interleaved.Lane spool = turns.lane("spool, 1 writer", 1, SMALL,
                SpoolBaseline.operations(scratch.fresh("spool-1"), small.content()));
        Interleaved.Lane spoolMany = turns.lane("spool, " + many + " writers", many, SMALL,
                SpoolBaseline.operations(scratch.fresh("spool-n"), small.content()));
        List<Interleaved.Lane> submits = new ArrayList<>();
        List<SubmitBenchmark> stores = new ArrayList<>();
        double othersShare;
        try {
            for (SampleMail mail : List.of(small, large)) {
                for (int submitters : new int[]{1, many}) {
                    SubmitBenchmark store = SubmitBenchmark.open(layout, scratch.fresh("journal-" + stores.size()), mail);
                    stores.add(store);
                    submits.add(turns.lane(String.format(Locale.ROOT, "JournalStore.add, %d KiB, %d submitter%s",
                            mail.size() / 1024, submitters, submitters == 1 ? "" : "s"), submitters, mail.size(), store.operations()));
                }
            }
            MachineLoad.Snapshot start = MachineLoad.now();
            turns.run((int) settings.window().toSeconds(), SLICE, settings.warmUp(), RAMP_UP);
            othersShare = MachineLoad.othersShare(start, MachineLoad.now());
        } finally {
            for (SubmitBenchmark store : stores) {
                store.close();
            }
        }
        Progress.say("deleting the files of the throughput figures");
        try (Stream<Path> files = Files.list(scratch.root())) {
            for (Path file : files.toList()) {
                scratch.delete(file);
            }
        }
        return new Throughput(fsync, fsyncLarge, overwrite, bound, boundLarge, spool, spoolMany, submits, othersShare);
    }

    private static void background(Report report, double throughputOthers, double backlogOthers) {
        if (throughputOthers < 0) {
            report.context("others", "unknown (no /proc/stat): other processes may have slowed the figures");
            return;
        }
        int cores = Runtime.getRuntime().availableProcessors();
        String text = String.format(Locale.ROOT, "other processes and the kernel kept %.0f%% of the %d cores busy during the rates",
                100 * throughputOthers, cores);
        if (backlogOthers >= 0) {
            text += String.format(Locale.ROOT, ", %.0f%% during the backlog fill", 100 * backlogOthers);
        }
        if (Math.max(throughputOthers, backlogOthers) > 0.10) {
            text += ": the machine was shared, and CPU-bound figures are lower than on an idle one";
        }
        report.context("others", text);
    }

    private static void baselines(Report report, Throughput throughput, int many) {
        Rate fsync = throughput.fsync().rate();
        Rate fsyncLarge = throughput.fsyncLarge().rate();
        report.section("The disk's limit: one writer, write + fsync each time");
        report.row("raw fsync, 1 writer, 4 KiB appends", Report.whole(fsync.perSecond()), "writes/s",
                String.format(Locale.ROOT, "the reference (1.00x); %s ms per write+fsync; turns ranged %s..%s; %s",
                        Report.decimal(1000 / fsync.perSecond(), 3), Report.whole(throughput.fsync().slowestSlice()),
                        Report.whole(throughput.fsync().fastestSlice()), cpu(fsync)));
        report.row("raw fsync, 1 writer, 64 KiB appends", Report.whole(fsyncLarge.perSecond()), "writes/s",
                String.format(Locale.ROOT, "%s the 4 KiB rate; %s MiB/s", Report.times(fsyncLarge.times(fsync)), Report.decimal(fsyncLarge.mibPerSecond(), 1)));
        Rate overwrite = throughput.overwrite().rate();
        report.row("raw fsync, 1 writer, 4 KiB into preallocated space", Report.whole(overwrite.perSecond()), "writes/s",
                String.format(Locale.ROOT, "%s raw fsync: the best one writer gets, as a sync then flushes data only; the journal writes so",
                        Report.times(overwrite.times(fsync))));
        for (int bytes : new int[]{SMALL, LARGE}) {
            double records = throughput.boundPerSecond(bytes);
            report.row(String.format(Locale.ROOT, "raw fsync, 1 writer, %d x %d KiB per sync, preallocated", many, bytes / 1024),
                    Report.whole(records), "records/s",
                    String.format(Locale.ROOT, "%s raw fsync; %s MiB/s: the most %d submitters can get, if every sync carried all %d records and nothing else took time",
                            Report.times(records / fsync.perSecond()), Report.decimal(records * bytes / (1024.0 * 1024.0), 1), many, many));
        }
        report.section("The alternative design: spool directory, a file per message, fsync file + directory");
        for (Interleaved.Lane lane : List.of(throughput.spool(), throughput.spoolMany())) {
            Rate rate = lane.rate();
            report.row(String.format(Locale.ROOT, "spool, %d writer%s, 4 KiB", lane.threads, lane.threads == 1 ? "" : "s"),
                    Report.whole(rate.perSecond()), "messages/s",
                    String.format(Locale.ROOT, "%s raw fsync; %s", Report.times(rate.times(fsync)), cpu(rate)));
        }
    }

    private static void submits(Report report, Throughput throughput, int many) {
        Rate fsync = throughput.fsync().rate();
        Rate fsyncLarge = throughput.fsyncLarge().rate();
        report.section("Durable submits: JournalStore.add, returns after fsync, group commit");
        for (Interleaved.Lane lane : throughput.submits()) {
            Rate rate = lane.rate();
            String latency = "mean " + Report.decimal(lane.threads * 1000 / rate.perSecond(), 2) + " ms per submit";
            String comparison;
            if (rate.bytesEach() == SMALL) {
                Rate spool = (lane.threads == 1 ? throughput.spool() : throughput.spoolMany()).rate();
                comparison = String.format(Locale.ROOT, "%s raw fsync; %s the spool with as many writers; %s; %s",
                        Report.times(rate.times(fsync)), Report.times(rate.times(spool)), latency, cpu(rate));
            } else {
                comparison = String.format(Locale.ROOT, "%s raw fsync (4 KiB); %s raw fsync (64 KiB); %s MiB/s; %s; %s",
                        Report.times(rate.times(fsync)), Report.times(rate.times(fsyncLarge)), Report.decimal(rate.mibPerSecond(), 1), latency, cpu(rate));
            }
            report.row(lane.name, Report.whole(rate.perSecond()), "submits/s", comparison);
        }
        for (Interleaved.Lane lane : throughput.submits()) {
            if (lane.threads != many) {
                continue;
            }
            double ratio = lane.rate().times(fsync);
            double bound = throughput.boundPerSecond(lane.bytesEach);
            report.row(String.format(Locale.ROOT, "goal: %d submitters >= %.0fx raw fsync, %d KiB", many, GOAL_TIMES_FSYNC, lane.bytesEach / 1024),
                    ratio >= GOAL_TIMES_FSYNC ? "MET" : "NOT MET", "",
                    String.format(Locale.ROOT, "%s raw fsync, needs %s submits/s; %s the preallocated single-writer rate; %.0f%% of the disk's bound for %d submitters (%s raw fsync)",
                            Report.times(ratio), Report.whole(GOAL_TIMES_FSYNC * fsync.perSecond()),
                            Report.times(lane.rate().times(throughput.overwrite().rate())), 100 * lane.rate().perSecond() / bound, many,
                            Report.times(bound / fsync.perSecond()))
                            + (bound < GOAL_TIMES_FSYNC * fsync.perSecond() ? ": the goal is beyond what this disk can sync at all" : ""));
        }
    }

    /** CPU per operation, for a comparison column. */
    private static String cpu(Rate rate) {
        double micros = rate.cpuMicrosEach();
        return micros < 0 ? "CPU unknown" : Report.whole(micros) + " us CPU each";
    }

    private static void backlog(Report report, BacklogBenchmark.Result backlog, Rate fsync) {
        long n = backlog.messages();
        report.section(String.format(Locale.ROOT, "Restart with a backlog: %,d messages of %,d bytes, recovered by the queue engine as at server start (next hop down)",
                n, backlog.contentBytes()));
        report.row("backlog fill, " + BacklogBenchmark.FILL_SUBMITTERS + " submitters", Report.whole(backlog.fill().perSecond()), "submits/s",
                String.format(Locale.ROOT, "%s the raw fsync rate (measured earlier); took %s s; %s", Report.times(backlog.fill().times(fsync)),
                        Report.decimal(Report.seconds(backlog.fill().nanos()), 1), cpu(backlog.fill())));
        report.row("journal on disk", Report.decimal(Report.mib(backlog.diskBytes()), 1), "MiB",
                String.format(Locale.ROOT, "%s bytes per message; %d segment file%s", Report.whole((double) backlog.diskBytes() / n), backlog.segments(),
                        backlog.segments() == 1 ? "" : "s"));
        recovery(report, "page cache warm (server restart)", backlog.readWarmNanos(), backlog.recoverWarmNanos(), backlog);
        if (backlog.coldMeasured()) {
            recovery(report, "page cache dropped (reboot)", backlog.readColdNanos(), backlog.recoverColdNanos(), backlog);
        } else {
            report.row("recovery, page cache dropped (reboot)", "-", "", "not measured: the page cache cannot be dropped here");
        }
        report.row("heap retained after recovery", Report.decimal(Report.mib(backlog.heapBytes()), 1), "MiB",
                String.format(Locale.ROOT, "%s bytes per message: the engine's messages, which carry the store's entries, and its queues; WildFly's default heap is 512 MiB", Report.whole((double) backlog.heapBytes() / n)));
    }

    private static void recovery(Report report, String how, long readNanos, long recoverNanos, BacklogBenchmark.Result backlog) {
        double read = Report.seconds(readNanos);
        double recover = Report.seconds(recoverNanos);
        report.row("read the journal files, " + how, Report.decimal(read, 2), "s",
                String.format(Locale.ROOT, "%s MiB/s: the disk's limit for recovery", Report.decimal(Report.mib(backlog.diskBytes()) / read, 0)));
        report.row("recovery in a fresh JVM, " + how, Report.decimal(recover, 2), "s",
                String.format(Locale.ROOT, "%s the plain read; %s messages/s", Report.times(recover / read), Report.whole(backlog.messages() / recover)));
    }
}
