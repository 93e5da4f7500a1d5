package dev.outbox.bench.soak;

import dev.outbox.bench.Progress;
import dev.outbox.testing.dns.TestDns;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The chaos soak, what {@code bench/soak} starts: Outbox in a real WildFly, routing by MX through a
 * DNS server on loopback to misbehaving SMTP peers, killed with kill -9 at random moments, and at
 * the end an account of every recipient submitted (see {@link Account}), printed as the last lines.
 *
 * <p>The setup: a {@link TestDns} on 127.0.0.1; for each misbehaving domain {@code d1.soak.test},
 * {@code d2.soak.test}, ... an MX host on 127.0.0.21, .22, ... ({@link Peer}, a scripted SMTP
 * server whose {@link PeerScript} faults at random, each domain a little worse than the one
 * before); the senders' domain {@value SoakMail#SENDERS_DOMAIN} on a reliable server at
 * 127.0.0.20, where the bounces arrive. WildFly ({@link SoakServer}) with no smarthost gets, by
 * jboss-cli before Outbox is deployed, the DNS server, the peers' port, a short retry schedule,
 * short timeouts and no delay notices; then {@code outbox.ear} and the demo application.
 *
 * <p>The run: the {@link Submitter} spreads the messages over the server's up time; the
 * {@link Sampler} reads the MBeans every second; the peers go away and come back at random;
 * {@code --kills} times, at random moments of up time, WildFly's JVM is killed with SIGKILL and
 * started again (what was in doubt at each peer is noted first, and the InFlight count just
 * before). Once every message is submitted and every kill made, the peers stay up, and the soak
 * waits until Outbox's store is empty ({@code MessageCount} 0), stops WildFly, and accounts.
 *
 * <p>Exit status: 0 when the account passes, 1 when a count is off or the run failed, 2 for bad
 * flags.
 */
public final class ChaosSoak {

    /** Fault chances of each misbehaving domain, as multiples of {@link PeerScript}'s: each a little worse than the last. */
    private static final double FIRST_TEMPER = 0.5;
    private static final double TEMPER_STEP = 0.5;
    private static final Duration OUTBOX_START_LIMIT = Duration.ofMinutes(3);
    private static final Pattern REPAIRS = Pattern.compile("Outbox sweep found (\\d+) recipients overdue");

    /** WildFly's client libraries log their versions at INFO when the sampler first connects: kept quiet (held, so they stay set). */
    private static final List<Logger> QUIET = Stream.of("org.jboss", "org.xnio", "org.wildfly").map(Logger::getLogger).toList();

    private final SoakSettings settings;
    private final Random random;
    private final List<String> errors = new ArrayList<>();
    private volatile boolean chaosOver;
    private volatile boolean accounting;

    private ChaosSoak(SoakSettings settings) {
        this.settings = settings;
        this.random = new Random(settings.seed());
    }

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.print(SoakSettings.USAGE);
            return;
        }
        QUIET.forEach(logger -> logger.setLevel(Level.WARNING));
        SoakSettings settings;
        try {
            settings = SoakSettings.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("soak: " + e.getMessage());
            System.err.print(SoakSettings.USAGE);
            System.exit(2);
            return;
        }
        boolean passed = new ChaosSoak(settings).run();
        System.exit(passed ? 0 : 1);
    }

    private boolean run() throws Exception {
        long started = System.nanoTime();
        String title = String.format(Locale.ROOT, "%s, seed %d, %,d messages, %d kills, %d domains, commit %s",
                Instant.now().truncatedTo(ChronoUnit.SECONDS), settings.seed(), settings.messages(), settings.kills(),
                settings.destinations(), System.getenv().getOrDefault("SOAK_COMMIT", "unknown"));
        Progress.say("soak: %s", title);
        SoakMail mail = new SoakMail(settings.seed(), settings.destinations(), Long.toString(random.nextLong() & Long.MAX_VALUE, 36));
        Files.createDirectories(settings.work());
        List<Peer> destinations = new ArrayList<>();
        List<Account.Kill> kills = new ArrayList<>();
        try (TestDns dns = TestDns.start()) {
            int port = freePort(settings.destinations());
            Peer senders = new Peer(SoakMail.SENDERS_DOMAIN, "127.0.0.20", port, 0, random);
            mx(dns, senders);
            for (int k = 0; k < settings.destinations(); k++) {
                Peer peer = new Peer(SoakMail.domain(k), "127.0.0." + (21 + k), port, FIRST_TEMPER + k * TEMPER_STEP, random);
                mx(dns, peer);
                destinations.add(peer);
            }
            List<Peer> all = new ArrayList<>(destinations);
            all.add(senders);
            for (Peer peer : all) {
                peer.up();
                Progress.say("soak: MX host of %s", peer);
            }
            try (SoakServer server = new SoakServer(settings.jbossHome(), settings.work().resolve("wildfly"), settings.portOffset());
                 Sampler sampler = new Sampler(server)) {
                server.prepare();
                server.start();
                configureAndDeploy(server, dns, port);
                server.awaitOutbox(OUTBOX_START_LIMIT);
                server.markUp();
                sampler.start();
                Submitter submitter = new Submitter(mail, server, settings.messages(), settings.submitSeconds(), settings.submitters());
                submitter.start();
                List<Thread> flappers = new ArrayList<>();
                for (Peer peer : destinations) {
                    Thread flapper = new Thread(() -> flap(peer), "soak-flap-" + peer.domain());
                    flapper.setDaemon(true);
                    flapper.start();
                    flappers.add(flapper);
                }
                Thread progress = new Thread(() -> sayEveryTenSeconds(server, sampler, submitter), "soak-progress");
                progress.setDaemon(true);
                progress.start();
                long chaosStarted = System.nanoTime();
                try {
                    kill(server, sampler, destinations, senders, kills);
                    submitter.await();
                } catch (Exception e) {
                    errors.add("chaos: " + e);
                    Progress.say("soak: the chaos failed: %s", e);
                }
                chaosOver = true;
                for (Thread flapper : flappers) {
                    flapper.interrupt();
                    flapper.join();
                }
                for (Peer peer : destinations) {
                    peer.up();
                }
                long drainStarted = System.nanoTime();
                Progress.say("soak: chaos over after %.0f s; every peer up, waiting until the store is empty",
                        (drainStarted - chaosStarted) / 1e9);
                boolean drained = errors.isEmpty() && drain(sampler);
                long drainEnded = System.nanoTime();
                accounting = true;
                sampler.stop();
                long messageCount = sampler.latest("MessageCount");
                server.stop();
                Progress.say("soak: WildFly stopped; accounting");
                for (Peer peer : all) {
                    peer.close();
                    errors.addAll(peer.problems());
                }
                Account account = new Account(mail, submitter, destinations, senders, sampler, new Account.Run(title, settings.kills(),
                        kills, repairsLogged(server), messageCount, drained, (System.nanoTime() - started) / 1e9,
                        (drainStarted - chaosStarted) / 1e9, (drainEnded - drainStarted) / 1e9, errors));
                List<String> lines = account.lines();
                Files.write(settings.work().resolve("account.txt"), lines, StandardCharsets.UTF_8);
                System.out.println();
                lines.forEach(System.out::println);
                return account.passed();
            } finally {
                chaosOver = true;
                all.forEach(Peer::close);
            }
        }
    }

    /** The system properties Outbox reads when it starts, set before it is deployed; then the two archives. */
    private void configureAndDeploy(SoakServer server, TestDns dns, int port) throws IOException, InterruptedException {
        Map<String, String> properties = new java.util.LinkedHashMap<>();
        properties.put("outbox.dns-servers", dns.server());
        properties.put("outbox.smtp-port", Integer.toString(port));
        properties.put("outbox.retry-schedule", "2s,5s,10s");
        properties.put("outbox.max-message-age", "2h"); // longer than any soak: nothing expires, every recipient is delivered or bounced
        properties.put("outbox.delay-notice-after", "0"); // the senders' server gets bounces only
        properties.put("outbox.connect-timeout-seconds", "5");
        properties.put("outbox.read-timeout-seconds", "5");
        properties.put("outbox.write-timeout-seconds", "5");
        properties.put("outbox.attempt-timeout-seconds", "30");
        properties.put("outbox.tls", "none");
        properties.put("outbox.helo-name", "outbox.soak.test");
        List<String> commands = new ArrayList<>();
        properties.forEach((name, value) -> commands.add("/system-property=" + name + ":add(value=\"" + value + "\")"));
        commands.add("deploy " + settings.deployables().resolve("outbox.ear").toAbsolutePath());
        commands.add("deploy " + settings.deployables().resolve("outbox-demo.war").toAbsolutePath());
        server.cli(commands);
        Progress.say("soak: Outbox deployed with %s", properties);
    }

    /**
     * The kills, each at a random moment of up time while the messages are submitted (or soon
     * after): what is in doubt at every peer just before and just after, then SIGKILL, then a
     * restart, after which the server is marked up again.
     */
    private void kill(SoakServer server, Sampler sampler, List<Peer> destinations, Peer senders, List<Account.Kill> kills)
            throws IOException, InterruptedException {
        for (long at : killMoments()) {
            while (server.upNanos() < at) {
                TimeUnit.MILLISECONDS.sleep(100);
            }
            long inFlight = sampler.inFlightNow();
            Map<Peer, Map<Integer, Integer>> before = new HashMap<>();
            for (Peer peer : destinations) {
                before.put(peer, peer.inDoubt());
            }
            before.put(senders, senders.inDoubt());
            long killed = System.nanoTime();
            server.killDashNine();
            int inDoubt = 0;
            for (Peer peer : destinations) {
                inDoubt += Peer.total(Peer.union(before.get(peer), peer.inDoubt()));
                peer.forgetConnections();
            }
            int noticesInDoubt = Peer.total(Peer.union(before.get(senders), senders.inDoubt()));
            senders.forgetConnections();
            Progress.say("soak: kill -9 %d of %d at %.1f s of up time: InFlight %d just before, %d recipients in doubt at the"
                            + " destinations, %d at the senders' server; restarting", kills.size() + 1, settings.kills(), at / 1e9,
                    inFlight, inDoubt, noticesInDoubt);
            server.start();
            server.awaitOutbox(OUTBOX_START_LIMIT);
            server.markUp();
            double restart = (System.nanoTime() - killed) / 1e9;
            kills.add(new Account.Kill(at / 1e9, inFlight, inDoubt, noticesInDoubt, restart));
            Progress.say("soak: back after %.0f s", restart);
        }
    }

    /**
     * The kill moments in nanoseconds of up time, while the messages are submitted: the time from
     * 10 s to the end of the spread cut into as many equal slots as kills, and one random moment
     * in each, so that the kills are random and yet none falls where there is nothing to kill.
     */
    private List<Long> killMoments() {
        long from = TimeUnit.SECONDS.toNanos(Math.min(10, settings.submitSeconds().toSeconds() / 2));
        long slot = (settings.submitSeconds().toNanos() - from) / Math.max(1, settings.kills());
        List<Long> moments = new ArrayList<>();
        for (int i = 0; i < settings.kills(); i++) {
            moments.add(from + i * slot + (long) (random.nextDouble() * slot));
        }
        return moments;
    }

    /** A destination's MX host going away for 3 to 12 s, after 15 to 45 s up, until the chaos is over. */
    private void flap(Peer peer) {
        try {
            while (!chaosOver) {
                TimeUnit.MILLISECONDS.sleep(15_000 + random.nextInt(30_000));
                if (chaosOver) {
                    return;
                }
                peer.down();
                TimeUnit.MILLISECONDS.sleep(3_000 + random.nextInt(9_000));
                peer.up();
            }
        } catch (InterruptedException e) {
            // the chaos is over: the soak brings every peer up itself
        }
    }

    /** Waits until the store is empty and no queue holds anything, at most the drain limit; false when it did not empty. */
    private boolean drain(Sampler sampler) throws InterruptedException {
        long deadline = System.nanoTime() + settings.drainLimit().toNanos();
        while (System.nanoTime() < deadline) {
            if (sampler.sampleNow() && sampler.latest("MessageCount") == 0
                    && sampler.queueStates().values().stream().allMatch("EMPTY"::equals)) {
                return true;
            }
            TimeUnit.SECONDS.sleep(1);
        }
        Progress.say("soak: the store did not empty within %s", settings.drainLimit());
        return false;
    }

    /** A progress line every ten seconds until the soak accounts. */
    private void sayEveryTenSeconds(SoakServer server, Sampler sampler, Submitter submitter) {
        while (!accounting) {
            try {
                TimeUnit.SECONDS.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
            Progress.say("soak: up %.0f s, life %d; submitted %,d; MessageCount %d, InFlight %d, Deferred %d, max overdue %d; queues %s",
                    server.upNanos() / 1e9, server.lives(), submitter.taken(), sampler.latest("MessageCount"),
                    sampler.latest("InFlight"), sampler.latest("Deferred"), sampler.maxOverdue(), sampler.queueStates());
        }
    }

    /** Recipients the sweep reported repairing, over every server.log of the run (the kills lose the in-memory counter). */
    private static int repairsLogged(SoakServer server) throws IOException {
        Path logs = server.serverLog().getParent();
        int repairs = 0;
        try (Stream<Path> files = Files.list(logs)) {
            for (Path file : files.filter(f -> f.getFileName().toString().startsWith("server.log")).toList()) {
                Matcher matcher = REPAIRS.matcher(Files.readString(file, StandardCharsets.ISO_8859_1));
                while (matcher.find()) {
                    repairs += Integer.parseInt(matcher.group(1));
                }
            }
        }
        return repairs;
    }

    private static void mx(TestDns dns, Peer peer) {
        dns.mx(peer.domain(), 10, "mx." + peer.domain()).a("mx." + peer.domain(), peer.address());
    }

    /** A port free on every peer's address (127.0.0.20 and up), the one Outbox is told to use for MX hosts. */
    private static int freePort(int destinations) throws IOException {
        for (int attempt = 0; attempt < 20; attempt++) {
            int port;
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.20"), 0));
                port = probe.getLocalPort();
            }
            boolean free = true;
            for (int k = 0; k < destinations && free; k++) {
                try (ServerSocket probe = new ServerSocket()) {
                    probe.bind(new InetSocketAddress(InetAddress.getByName("127.0.0." + (21 + k)), port));
                } catch (IOException taken) {
                    free = false;
                }
            }
            if (free) {
                return port;
            }
        }
        throw new IllegalStateException("found no port free on 127.0.0.20 to 127.0.0." + (20 + destinations));
    }
}
