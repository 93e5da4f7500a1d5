package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToLongFunction;
import java.util.stream.Stream;

/**
 * The scale lane: Outbox in a real WildFly with a large queue. How long a restart takes to
 * recover it, how much heap each queued message costs the server, and how fast an operator's
 * JMX console pages through it and searches it.
 *
 * <p>The server is the WildFly that the build unpacks into {@code bench/target} with
 * {@code outbox.ear} beside it (profile {@code soak} of bench's pom), run with a base directory of
 * its own in the scratch directory ({@link WildFly}), port offset {@value #PORT_OFFSET},
 * {@code standalone-full.xml} and the options of its {@code standalone.conf} (512 MiB of heap),
 * Outbox's smarthost a closed port on 127.0.0.1 and its retry schedule one day: the first attempt
 * fails at once, the queue goes into {@code RETRY}, and nothing is attempted after that.
 *
 * <p>In order: (1) a first boot of the fresh base directory, not timed (the server makes its own
 * data then). (2) The backlog written into the stopped server's store ({@link ServerBacklog}):
 * the journal the server would write itself, only faster. (3) {@code --scale-restarts} rounds of
 * two restarts, one with an empty store and one with the backlog, in turns (the backlog's journal
 * moved aside for the empty one), each timed from the start of {@code standalone.sh} to the line
 * "Outbox queue recovered N messages", to the deployment of {@code outbox.ear} and to the
 * server's "started". In the first restart of each kind, once the queue has settled, the live
 * heap ({@link LiveHeap}): per message, the difference between the two divided by N, in all and
 * class by class; in the first with the backlog, the JMX console's calls ({@link RemoteConsole}).
 *
 * <p>{@link #measure} adds the lane's lines above the table, its rows with a goal row each, and
 * the classes that grew most. Failures: as {@link WildFly}, {@link ServerBacklog},
 * {@link LiveHeap} and {@link RemoteConsole} report them, as {@link IllegalStateException}.
 */
final class ScaleBenchmark {

    /** Away from the default ports and from other benches on the machine (the chaos soak's 300). */
    static final int PORT_OFFSET = 400;
    /** JMX calls of each kind; the figure is their median. */
    static final int CALLS = 5;
    /** Rows of the class histogram shown. */
    static final int TOP_CLASSES = 15;

    static final double GOAL_RECOVERY_SECONDS = 10;
    static final double GOAL_BYTES_PER_MESSAGE = 150;
    static final double GOAL_LIST_MILLIS = 100;
    static final double GOAL_FIND_MILLIS = 1000;

    private static final String RECOVERED = "Outbox queue recovered ";
    private static final String JOURNAL_OPENED = "Outbox journal: writing";
    private static final String DEPLOYED = "WFLYSRV0010: Deployed \"outbox.ear\"";
    private static final String STARTED = "WFLYSRV0025";
    private static final String RETRY_SCHEDULE = "1d";
    private static final Duration START_LIMIT = Duration.ofMinutes(10);

    /**
     * One life of the server: when its lines came, in nanoseconds from the start of the script;
     * the server's CPU time until it recovered (-1 if unknown), and the share of the CPUs other
     * processes used meanwhile (-1 if unknown); the collector's pauses until the server started.
     */
    private record Life(long journalOpened, long recovered, long deployed, long started, long serverCpuNanos, double othersShare,
                        GcPauses pauses) {

        long outboxRecovery() {
            return recovered - journalOpened;
        }
    }

    private ScaleBenchmark() {
    }

    static void measure(Report report, BenchSettings settings, Scratch scratch) throws Exception {
        Path target = harnessTarget();
        Path home = wildFlyHome(target);
        Path ear = target.resolve("soak-deployables/outbox.ear");
        if (!Files.isRegularFile(ear)) {
            throw new IllegalStateException("no " + ear + ": bench/run builds it (mvn package -Psoak -pl bench -am)");
        }
        long messages = settings.scaleMessages();
        int closedPort = LoopbackPort.free(); // nothing listens there: Outbox's smarthost is down
        Map<String, String> environment = Map.of("OUTBOX_SMARTHOST", "127.0.0.1:" + closedPort);
        List<String> properties = List.of("-Doutbox.retry-schedule=" + RETRY_SCHEDULE);
        String query = ServerBacklog.recipient(messages - 1);

        try (WildFly server = WildFly.prepare(home, scratch.root().resolve("scale-wildfly"), PORT_OFFSET, List.of(ear))) {
            Path journal = ServerBacklog.journalDirectory(server.dataDirectory());
            Path stash = journal.resolveSibling("journal-of-the-backlog");
            // The first boot of a fresh base directory makes the server's own data (transactions,
            // messaging journal, the deployment unpacked): not a restart, so not timed.
            Progress.say("scale: first boot of WildFly in its own base directory (%s, port offset %d), not timed", home.getFileName(),
                    PORT_OFFSET);
            server.start(environment, properties);
            awaitLife(server, 0);
            String jvm = server.heapOptions();
            server.stop();
            scratch.delete(journal);

            ServerBacklog.Result backlog = ServerBacklog.write(server.dataDirectory(), settings.scaleBytes(), messages);
            Progress.say("scale: %,d messages written in %.1f s (%,.0f a second)", messages, Report.seconds(backlog.fill().nanos()),
                    backlog.fill().perSecond());
            Files.move(journal, stash);

            // Restarts with an empty store and with the backlog take turns (the first of a round
            // changing each round), so both see the same machine: the backlog's journal is moved
            // aside for the empty ones.
            List<Life> empty = new ArrayList<>();
            List<Life> full = new ArrayList<>();
            LiveHeap emptyHeap = null;
            LiveHeap fullHeap = null;
            RemoteConsole.Calls calls = null;
            boolean cold = true;
            for (int round = 1; round <= settings.scaleRestarts(); round++) {
                for (boolean withBacklog : round % 2 == 1 ? new boolean[] {false, true} : new boolean[] {true, false}) {
                    long queued = withBacklog ? messages : 0;
                    if (withBacklog) {
                        Files.move(stash, journal);
                        // The server wrote its journal with direct I/O, around the page cache: it reads it from the disk at a restart.
                        cold &= PageCache.evict(journalFiles(journal));
                    }
                    Progress.say("scale: restart %d of %d with %,d queued", round, settings.scaleRestarts(), queued);
                    server.start(environment, properties);
                    Life life = awaitLife(server, queued);
                    (withBacklog ? full : empty).add(life);
                    Progress.say("scale: Outbox recovered %,d messages %.2f s after the start (its own part %.2f s), "
                                    + "outbox.ear deployed after %.2f s", queued, Report.seconds(life.recovered()),
                            Report.seconds(life.outboxRecovery()), Report.seconds(life.deployed()));
                    if ((withBacklog ? fullHeap : emptyHeap) == null) {
                        RemoteConsole.Settled settled = RemoteConsole.settle(home, server.jmxUrl(), (int) queued);
                        Progress.say("scale: %,d messages, the queue %s in %s; reading the live heap", settled.messageCount(),
                                settled.queue(), settled.state());
                        LiveHeap heap = LiveHeap.of(server.pid());
                        if (withBacklog) {
                            fullHeap = heap;
                            Progress.say("scale: the JMX console: listMessages(0, %d) and findMessages(\"%s\", 0, %d), %d calls each",
                                    RemoteConsole.PAGE, query, RemoteConsole.PAGE, CALLS);
                            calls = RemoteConsole.time(home, server.jmxUrl(), query, CALLS);
                        } else {
                            emptyHeap = heap;
                        }
                    }
                    server.stop();
                    if (withBacklog) {
                        Files.move(journal, stash);
                    } else {
                        scratch.delete(journal);
                    }
                }
            }
            describe(report, settings, home, jvm, closedPort, cold);
            rows(report, settings, backlog, empty, full, emptyHeap, fullHeap, calls, query);
            classes(report, messages, emptyHeap, fullHeap);
        }
    }

    /** Waits for Outbox's recovery of {@code messages} and the server's start, noting when each line came. */
    private static Life awaitLife(WildFly server, long messages) throws IOException, InterruptedException {
        MachineLoad.Snapshot start = MachineLoad.now();
        long opened = server.await(JOURNAL_OPENED, START_LIMIT).nanos();
        long recovered = server.await(RECOVERED + messages + " messages", START_LIMIT).nanos();
        long pid = server.pid();
        long cpu = ProcessHandle.of(pid).flatMap(p -> p.info().totalCpuDuration()).map(Duration::toNanos).orElse(-1L);
        double others = MachineLoad.othersShare(start, MachineLoad.now(), Math.max(0, cpu));
        long deployed = server.await(DEPLOYED, START_LIMIT).nanos();
        long started = server.await(STARTED, START_LIMIT).nanos();
        return new Life(opened, recovered, deployed, started, cpu, others, GcPauses.of(pid));
    }

    private static void describe(Report report, BenchSettings settings, Path home, String jvm, int closedPort, boolean cold) {
        report.context("scale", String.format(Locale.ROOT,
                "%s (standalone-full.xml, standalone.conf's JVM options: %s; port offset %d), outbox.ear, "
                        + "smarthost 127.0.0.1:%d with nothing listening, retry schedule %s: the queue's first attempt fails and it waits in RETRY; "
                        + "%,d messages of %,d bytes, one recipient each, written by the harness with JournalStore into the stopped server's "
                        + "data/outbox/journal (%d submitters; the journal the server writes itself, filled faster than through applications); "
                        + "after an untimed first boot, %d round(s) of a restart with an empty store and one with the backlog, in turns, each timed "
                        + "from the start of standalone.sh, the journal %s; the live heap by jcmd GC.class_histogram and GC.heap_info (full collections) once the "
                        + "queue is in RETRY, with the backlog and with an empty store; the MBeans through "
                        + "service:jmx:remote+http with bin/client/jboss-client.jar as $local, from a JVM of their own",
                home.getFileName(), jvm, PORT_OFFSET, closedPort, RETRY_SCHEDULE, settings.scaleMessages(), settings.scaleBytes(),
                ServerBacklog.FILL_SUBMITTERS, settings.scaleRestarts(),
                cold ? "dropped from the page cache before each (the server writes it with direct I/O, so a restart reads it from the disk)"
                        : "in the page cache as far as it was (it could not be dropped here)"));
    }

    private static void rows(Report report, BenchSettings settings, ServerBacklog.Result backlog, List<Life> empty, List<Life> full,
                             LiveHeap emptyHeap, LiveHeap fullHeap, RemoteConsole.Calls calls, String query) {
        long messages = settings.scaleMessages();
        report.section(String.format(Locale.ROOT, "At scale in WildFly: %,d queued messages of %,d bytes, smarthost down, %s",
                messages, settings.scaleBytes(), restarts(settings.scaleRestarts())));
        report.row(String.format(Locale.ROOT, "backlog written into the stopped server's store, %d submitters", ServerBacklog.FILL_SUBMITTERS),
                Report.whole(backlog.fill().perSecond()), "submits/s", String.format(Locale.ROOT,
                        "took %.1f s; journal %s MiB, %,d bytes a message, in %d segment file(s) of 64 MiB", Report.seconds(backlog.fill().nanos()),
                        Report.decimal(Report.mib(backlog.diskBytes()), 1), backlog.diskBytes() / Math.max(1, messages), backlog.segments()));

        double emptyRecovered = median(empty, Life::recovered);
        double recovery = median(full, Life::recovered);
        double own = median(full, Life::outboxRecovery);
        double[] others = full.stream().mapToDouble(Life::othersShare).filter(share -> share >= 0).toArray();
        report.row(String.format(Locale.ROOT, "restart with %,d queued: to \"%s%d messages\"", messages, RECOVERED, messages),
                Report.decimal(recovery, 2), "s", String.format(Locale.ROOT,
                        "%s; of it Outbox's own (journal opened to that line) %.2f s, %,.0f messages/s; %+.2f s against an empty store; "
                                + "server CPU until then %s s%s; %s",
                        spread(full, Life::recovered), own, messages / own, recovery - emptyRecovered,
                        full.stream().anyMatch(life -> life.serverCpuNanos() < 0) ? "?" : Report.decimal(median(full, Life::serverCpuNanos), 1),
                        others.length == 0 ? "" : String.format(Locale.ROOT, "; other processes kept %.0f%% of the cores busy",
                                100 * DeliveryTable.median(others)), pauses(full)));
        report.row("restart with them: to outbox.ear deployed", Report.decimal(median(full, Life::deployed), 2), "s",
                String.format(Locale.ROOT, "%s; server started (WFLYSRV0025) at %.2f s", spread(full, Life::deployed), median(full, Life::started)));
        report.row("restart with an empty store: to \"" + RECOVERED + "0 messages\"", Report.decimal(emptyRecovered, 2), "s",
                String.format(Locale.ROOT, "%s; outbox.ear deployed at %.2f s, server started at %.2f s: the floor of a restart on this machine; %s",
                        spread(empty, Life::recovered), median(empty, Life::deployed), median(empty, Life::started), pauses(empty)));
        goal(report, "goal: recovery under 10 s", recovery < GOAL_RECOVERY_SECONDS,
                String.format(Locale.ROOT, "%.2f s from the start of the server to Outbox's recovery line, of which %.2f s Outbox's own",
                        recovery, own));

        long liveGrowth = fullHeap.liveBytes() - emptyHeap.liveBytes();
        long usedGrowth = fullHeap.usedBytes() - emptyHeap.usedBytes();
        double perMessage = (double) liveGrowth / messages;
        report.row("heap retained per queued message", Report.decimal(perMessage, 0), "bytes", String.format(Locale.ROOT,
                "live objects (class histogram) %s MiB with the backlog, %s MiB with an empty store: %s MiB for %,d messages; "
                        + "heap used after a full GC: %s MiB and %s MiB, %s bytes a message; with the backlog %.0f%% of the server's "
                        + "%,d MiB of heap is live",
                Report.decimal(Report.mib(fullHeap.liveBytes()), 1), Report.decimal(Report.mib(emptyHeap.liveBytes()), 1),
                Report.decimal(Report.mib(liveGrowth), 1), messages, Report.decimal(Report.mib(fullHeap.usedBytes()), 1),
                Report.decimal(Report.mib(emptyHeap.usedBytes()), 1), Report.decimal((double) usedGrowth / messages, 0),
                100.0 * fullHeap.usedBytes() / fullHeap.maxBytes(), fullHeap.maxBytes() >> 20));
        goal(report, "goal: at most 150 bytes per queued message", perMessage <= GOAL_BYTES_PER_MESSAGE,
                String.format(Locale.ROOT, "%.0f bytes, %.2fx the goal; at this size %,d MiB of heap hold 1,000,000 queued messages",
                        perMessage, perMessage / GOAL_BYTES_PER_MESSAGE, Math.round(perMessage * 1_000_000 / (1024 * 1024))));

        double list = callMillis(calls.list(), report, "listMessages(0, 50), Queue MBean, remote JMX",
                String.format(Locale.ROOT, "%d messages a page", calls.list().get(0).messages()));
        goal(report, "goal: listMessages under 100 ms", list < GOAL_LIST_MILLIS, String.format(Locale.ROOT, "%.1f ms", list));
        double find = callMillis(calls.find(), report, "findMessages(recipient, 0, 50), QueueManager, remote JMX",
                String.format(Locale.ROOT, "\"%s\" matched %d message: every queued message read", query, calls.find().get(0).messages()));
        goal(report, "goal: findMessages under 1 s", find < GOAL_FIND_MILLIS, String.format(Locale.ROOT, "%.1f ms", find));
    }

    /** The classes that grew most from the empty server to the full one, per queued message. */
    private static void classes(Report report, long messages, LiveHeap emptyHeap, LiveHeap fullHeap) {
        List<LiveHeap.Growth> growth = fullHeap.since(emptyHeap);
        long total = fullHeap.liveBytes() - emptyHeap.liveBytes();
        report.section(String.format(Locale.ROOT, "Where the heap of the queue goes: the %d classes that grew most, per queued message "
                + "(class histogram with the backlog minus with an empty store)", TOP_CLASSES));
        long shown = 0;
        for (LiveHeap.Growth g : growth.subList(0, Math.min(TOP_CLASSES, growth.size()))) {
            shown += g.bytes();
            String each = g.instances() > 0 ? Report.decimal((double) g.bytes() / g.instances(), 1) + " bytes each" : "sizes changed";
            report.row("  " + g.className(), Report.decimal((double) g.bytes() / messages, 1), "bytes", String.format(Locale.ROOT,
                    "%.2f instances a message, %s; %s MiB, %.1f%% of the growth", (double) g.instances() / messages, each,
                    Report.decimal(Report.mib(g.bytes()), 1), 100.0 * g.bytes() / total));
        }
        report.row("  every other class", Report.decimal((double) (total - shown) / messages, 1), "bytes",
                String.format(Locale.ROOT, "%s MiB", Report.decimal(Report.mib(total - shown), 1)));
    }

    private static double callMillis(List<RemoteConsole.Call> calls, Report report, String figure, String what) {
        double[] millis = calls.stream().mapToDouble(call -> call.nanos() / 1e6).toArray();
        double median = DeliveryTable.median(millis);
        report.row(figure, Report.decimal(median, 1), "ms", String.format(Locale.ROOT, "%s; %s; in the order made: %s ms", spread(millis, "ms"),
                what, String.join(", ", Arrays.stream(millis).mapToObj(m -> Report.decimal(m, 1)).toList())));
        return median;
    }

    private static void goal(Report report, String figure, boolean met, String comparison) {
        report.row(figure, met ? "MET" : "NOT MET", "", comparison);
    }

    /** "GC paused it 41 times for 2.10 s in all (3 full) until the server started", for the median life by that time. */
    private static String pauses(List<Life> lives) {
        List<GcPauses> sorted = lives.stream().map(Life::pauses).sorted(java.util.Comparator.comparingLong(GcPauses::nanos)).toList();
        GcPauses middle = sorted.get(sorted.size() / 2);
        return String.format(Locale.ROOT, "GC paused the server %,d times for %.2f s in all (%d full collections) until it started, "
                + "the median life by that time", middle.count(), Report.seconds(middle.nanos()), middle.full());
    }

    /** The journal's segment files. */
    private static List<Path> journalFiles(Path journal) throws IOException {
        try (Stream<Path> list = Files.list(journal)) {
            return list.filter(p -> p.getFileName().toString().endsWith(".journal")).sorted().toList();
        }
    }

    /** The median of one time of every life, in seconds. */
    private static double median(List<Life> lives, ToLongFunction<Life> time) {
        return DeliveryTable.median(lives.stream().mapToDouble(life -> Report.seconds(time.applyAsLong(life))).toArray());
    }

    /** "median of 3, which ranged 8.10..9.02 s", or the value of the one life. */
    private static String spread(List<Life> lives, ToLongFunction<Life> time) {
        double[] seconds = lives.stream().mapToDouble(life -> Report.seconds(time.applyAsLong(life))).toArray();
        return spread(seconds, "s");
    }

    private static String spread(double[] values, String unit) {
        if (values.length == 1) {
            return "1 measurement";
        }
        return String.format(Locale.ROOT, "median of %d, which ranged %s..%s %s", values.length,
                Report.decimal(Arrays.stream(values).min().orElse(0), 2), Report.decimal(Arrays.stream(values).max().orElse(0), 2), unit);
    }

    private static String restarts(int n) {
        return n == 1 ? "1 restart each with and without them" : n + " restarts each with and without them, in turns";
    }

    /** bench/target: where the harness's classes are, and where the build unpacks WildFly beside them. */
    private static Path harnessTarget() {
        try {
            return Path.of(ScaleBenchmark.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot tell where the harness's classes are: " + e.getMessage(), e);
        }
    }

    private static Path wildFlyHome(Path target) throws IOException {
        try (Stream<Path> list = Files.list(target)) {
            return list.filter(p -> p.getFileName().toString().startsWith("wildfly-") && Files.isDirectory(p)).sorted().findFirst()
                    .orElseThrow(() -> new IllegalStateException("no WildFly in " + target
                            + ": bench/run unpacks it there when the scale lane runs (mvn package -Psoak -pl bench -am)"));
        }
    }
}
