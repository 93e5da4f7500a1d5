package dev.outbox.bench;

import dev.outbox.bench.web.SubmitServlet;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * The submit lane: durable submits through the API in WildFly (issue 19), beside Postfix's smtpd
 * accepting the same messages and the store's own rate on the same disk.
 *
 * <p>Three rates, each of {@value #BYTES}-byte single-recipient messages with
 * {@code --submitters} concurrent submitters (16 by default):
 * <ol>
 * <li><b>WildFly</b>: the scale lane's server ({@link WildFly}, port offset
 * {@value ScaleBenchmark#PORT_OFFSET}, its smarthost a closed loopback port and its retry schedule
 * one day, so nothing is delivered meanwhile; {@code outbox.max-store-bytes} {@value #MAX_STORE_BYTES})
 * with {@code outbox.ear} and a WAR this class builds from {@link SubmitServlet}; one POST runs
 * the submitters in the server for {@value #WARM_UP_SECONDS} s untimed, then {@code --seconds}
 * counted.</li>
 * <li><b>Postfix</b>: an instance of the lane's own ({@link PostfixInstance}, as the delivery lane
 * queues its backlogs) accepting the messages from {@code smtp-source} with as many sessions onto
 * hold; an untimed run first, then one of about {@code --seconds} at the rate of the first.</li>
 * <li><b>The store alone</b>: {@link SubmitBenchmark} ({@code JournalStore.add}) in the harness,
 * as the store lane measures it, on the scratch directory's disk, which the server's data is on
 * too.</li>
 * </ol>
 * Goals: WildFly at least {@value #GOAL_POSTFIX}x Postfix and at least {@value #GOAL_STORE}x the
 * store alone. Failures: as {@link WildFly}, {@link PostfixInstance}, {@link SmtpSource}; a servlet
 * that answers other than 200 throws {@link IllegalStateException} with its answer.
 */
final class SubmitLane {

    static final int BYTES = 4096;
    static final int WARM_UP_SECONDS = 2;
    static final long MAX_STORE_BYTES = 32L * 1024 * 1024 * 1024;
    static final double GOAL_POSTFIX = 10;
    static final double GOAL_STORE = 0.5;
    private static final String WAR = "outbox-bench-submit.war";
    private static final Duration START_LIMIT = Duration.ofMinutes(10);
    private static final int WILDFLY_RUNS = 3;

    private SubmitLane() {
    }

    static void measure(Report report, BenchSettings settings, Scratch scratch) throws Exception {
        int submitters = settings.submitters();
        SampleMail mail = SampleMail.ofSize(BYTES);

        Progress.say("submit: the store alone, %d submitters, %d s", submitters, settings.window().toSeconds());
        Rate store;
        try (SubmitBenchmark bench = SubmitBenchmark.open(StoreLayout.of(settings), scratch.fresh("submit-journal"), mail)) {
            store = TimedRun.measure("store alone", submitters, Duration.ofSeconds(WARM_UP_SECONDS), settings.window(), BYTES,
                    bench.operations());
        }

        Rate postfix = null;
        String postfixNote;
        Path programs = settings.postfixPrograms();
        String noPostfix = PostfixInstance.unavailable(programs);
        if (noPostfix != null) {
            postfixNote = "not measured: " + noPostfix;
        } else {
            Path logs = Files.createDirectories(scratch.root().resolve("submit-logs"));
            Path content = logs.resolve("content.eml");
            SmtpSource.writeContent(mail, content);
            SmtpSource source = new SmtpSource(programs.resolve("smtp-source"), logs.resolve("smtp-source.log"));
            try (PostfixInstance instance = PostfixInstance.start(programs, new PostfixConfig(scratch.root().resolve("submit-postfix"),
                    LoopbackPort.free(), LoopbackPort.free(), Map.of(), 1, 1, PostfixConfig.DEBIAN_MAIL_OWNER,
                    PostfixConfig.DEBIAN_SETGID_GROUP))) {
                int warmUpMessages = 1000;
                Progress.say("submit: Postfix's smtpd, %d sessions, %,d messages untimed", submitters, warmUpMessages);
                Rate first = accept(instance, source, content, submitters, warmUpMessages);
                int messages = (int) Math.max(1000, Math.min(5_000_000, first.perSecond() * settings.window().toSeconds()));
                Progress.say("submit: Postfix's smtpd, %d sessions, %,d messages counted", submitters, messages);
                postfix = accept(instance, source, content, submitters, messages);
                postfixNote = String.format(Locale.ROOT, "%,d messages in %.2f s, smtp-source -s %d onto hold; %s", messages,
                        Report.seconds(postfix.nanos()), submitters, instance.describe());
            }
        }

        List<Rate> wildFlyRuns = wildFly(settings, scratch, mail);
        List<Rate> byRate = wildFlyRuns.stream().sorted(Comparator.comparingDouble(Rate::perSecond)).toList();
        Rate wildFly = byRate.get(byRate.size() / 2);

        report.section(String.format(Locale.ROOT, "Durable submit: %,d-byte messages, one recipient each, %d submitters, %d s counted after %d s",
                BYTES, submitters, settings.window().toSeconds(), WARM_UP_SECONDS));
        report.row("WildFly: submit through java:/eis/Outbox", Report.whole(wildFly.perSecond()), "submits/s", String.format(Locale.ROOT,
                "median of %d runs on one server, which ranged %,.0f..%,.0f; its run %,d submits in %.2f s by %d threads of a servlet beside "
                        + "outbox.ear (getConnection, submit(byte[], Envelope), close); smarthost a closed port, retry schedule 1d, "
                        + "max-store-bytes %,d", byRate.size(), byRate.get(0).perSecond(), byRate.get(byRate.size() - 1).perSecond(),
                wildFly.operations(), Report.seconds(wildFly.nanos()), submitters, MAX_STORE_BYTES));
        report.row("Postfix: smtpd accepts from smtp-source", postfix == null ? "-" : Report.whole(postfix.perSecond()), "accepts/s", postfixNote);
        report.row("store alone: JournalStore.add", Report.whole(store.perSecond()), "submits/s", String.format(Locale.ROOT,
                "%,d submits in %.2f s, %d threads in the harness, same disk", store.operations(), Report.seconds(store.nanos()), submitters));
        if (postfix != null) {
            double ratio = wildFly.perSecond() / postfix.perSecond();
            report.row("goal: WildFly >= " + (int) GOAL_POSTFIX + "x Postfix", ratio >= GOAL_POSTFIX ? "MET" : "NOT MET", "",
                    String.format(Locale.ROOT, "%.2fx", ratio));
        } else {
            report.row("goal: WildFly >= " + (int) GOAL_POSTFIX + "x Postfix", "?", "", postfixNote);
        }
        double ofStore = wildFly.perSecond() / store.perSecond();
        report.row("goal: WildFly >= " + GOAL_STORE + "x the store alone", ofStore >= GOAL_STORE ? "MET" : "NOT MET", "",
                String.format(Locale.ROOT, "%.2fx", ofStore));
    }

    /** smtp-source into the instance's smtpd, every message checked onto hold. */
    private static Rate accept(PostfixInstance instance, SmtpSource source, Path content, int sessions, int messages) throws Exception {
        long held = instance.held();
        SmtpSource.Run run = source.send("127.0.0.1", instance.smtpdPort(), Math.min(sessions, messages), messages, 1, content,
                "rcpt@submit.example");
        long now = instance.held() - held;
        if (now != messages) {
            throw new IllegalStateException(String.format(Locale.ROOT, "Postfix holds %,d messages after %,d were sent to it: %s",
                    now, messages, instance.logTail()));
        }
        return new Rate(messages, run.nanos(), run.cpuNanos(), BYTES);
    }

    /**
     * {@link #WILDFLY_RUNS} counted runs on one started server, each a POST with its own warm-up:
     * one run right after the scale lane read 25,808 a second where the lane alone read 32,936
     * (the disk still busy with the last lane's gigabyte), so a single run says too little.
     */
    private static List<Rate> wildFly(BenchSettings settings, Scratch scratch, SampleMail mail) throws Exception {
        Path target = harnessTarget();
        Path home;
        try (Stream<Path> list = Files.list(target)) {
            home = list.filter(p -> p.getFileName().toString().startsWith("wildfly-") && Files.isDirectory(p)).sorted().findFirst()
                    .orElseThrow(() -> new IllegalStateException("no WildFly in " + target + ": bench/run unpacks it there (mvn package -Psoak -pl bench -am)"));
        }
        Path ear = target.resolve("soak-deployables/outbox.ear");
        if (!Files.isRegularFile(ear)) {
            throw new IllegalStateException("no " + ear + ": bench/run builds it (mvn package -Psoak -pl bench -am)");
        }
        Path war = war(scratch.root().resolve(WAR));
        int closedPort = LoopbackPort.free();
        Map<String, String> environment = Map.of("OUTBOX_SMARTHOST", "127.0.0.1:" + closedPort);
        List<String> properties = List.of("-Doutbox.retry-schedule=1d", "-Doutbox.max-store-bytes=" + MAX_STORE_BYTES);
        try (WildFly server = WildFly.prepare(home, scratch.root().resolve("submit-wildfly"), ScaleBenchmark.PORT_OFFSET, List.of(ear, war))) {
            Progress.say("submit: starting WildFly (%s, port offset %d) with outbox.ear and %s", home.getFileName(), ScaleBenchmark.PORT_OFFSET, WAR);
            server.start(environment, properties);
            server.await("WFLYSRV0010: Deployed \"" + WAR + "\"", START_LIMIT);
            server.await("WFLYSRV0025", START_LIMIT);
            int threads = settings.submitters();
            long seconds = settings.window().toSeconds();
            URI uri = URI.create(String.format(Locale.ROOT, "http://127.0.0.1:%d/outbox-bench-submit/submit?threads=%d&warmup=%d&seconds=%d",
                    8080 + ScaleBenchmark.PORT_OFFSET, threads, WARM_UP_SECONDS, seconds));
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            List<Rate> runs = new ArrayList<>();
            for (int run = 1; run <= WILDFLY_RUNS; run++) {
                Progress.say("submit: WildFly run %d of %d, %d threads in the server, %d s warm-up, %d s counted", run, WILDFLY_RUNS, threads,
                        WARM_UP_SECONDS, seconds);
                HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(seconds + WARM_UP_SECONDS + 120))
                        .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(mail.content())).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() != 200) {
                    throw new IllegalStateException("the submit servlet answered " + response.statusCode() + ": " + response.body());
                }
                String[] parts = response.body().strip().split(" ");
                runs.add(new Rate(Long.parseLong(parts[0]), Long.parseLong(parts[1]), -1, BYTES));
            }
            server.stop();
            return runs;
        }
    }

    /** The WAR: the servlet's classes from the harness's own, and a manifest that lets it see Outbox's API in the RAR. */
    static Path war(Path file) throws IOException {
        Path classes = harnessTarget().resolve("classes");
        Path web = classes.resolve("dev/outbox/bench/web");
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(new Attributes.Name("Dependencies"), "deployment.outbox.ear.outbox-rar.rar");
        try (OutputStream out = Files.newOutputStream(file); JarOutputStream jar = new JarOutputStream(out, manifest);
             Stream<Path> list = Files.list(web)) {
            for (Path path : list.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                jar.putNextEntry(new JarEntry("WEB-INF/classes/" + classes.relativize(path).toString().replace('\\', '/')));
                jar.write(Files.readAllBytes(path));
                jar.closeEntry();
            }
        }
        return file;
    }

    /** bench/target. */
    private static Path harnessTarget() {
        try {
            return Path.of(SubmitLane.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot tell where the harness's classes are: " + e.getMessage(), e);
        }
    }
}
