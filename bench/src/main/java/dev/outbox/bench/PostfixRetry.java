package dev.outbox.bench;

import jakarta.mail.Address;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * A Postfix instance of the merge lane's own, for Postfix's figure beside Outbox's: the same
 * deferred-once recipients, the same retry wait, the same kind of peer.
 *
 * <p>{@link #start} writes a {@code main.cf} and {@code master.cf} into a directory of its own
 * (config, queue, data directory and mail log all under it, nothing under {@code /etc/postfix}),
 * then runs {@code postfix -c DIR start}. The instance listens on 127.0.0.1 only, for SMTP on a
 * free port; it looks up no DNS ({@code smtp_dns_support_level = disabled}) and relays every
 * recipient to {@code relayhost = [127.0.0.1]:PORT}, a {@link RetryPeer}. Its retry timing is
 * lowered to the lane's schedule: {@code minimal_backoff_time}, {@code maximal_backoff_time} and
 * {@code queue_run_delay} all {@value #BACKOFF_SECONDS}s (Postfix takes whole seconds, at
 * least 1). {@link #settings} reads back what Postfix made of them with {@code postconf -c}.
 *
 * <p>{@link #submit} sends single-recipient messages to it over SMTP with Angus, paced;
 * {@link #close} runs {@code postfix -c DIR stop} and waits for its master process (by the PID in
 * its pid file) to end, killing that PID if it does not within {@value #STOP_SECONDS} s.
 *
 * <p>Needs Debian's postfix package and root (Postfix's master starts as root; {@link #unavailable}
 * says why not, or null). Threading: one thread. Failures: a Postfix that does not start or
 * listen throws {@link IllegalStateException} with its output and the end of its mail log.
 */
final class PostfixRetry implements AutoCloseable {

    static final Path POSTFIX = Path.of("/usr/sbin/postfix");
    static final Path POSTCONF = Path.of("/usr/sbin/postconf");
    static final int BACKOFF_SECONDS = 2;
    static final int SESSIONS = 4;
    private static final long STOP_SECONDS = 10;
    private static final String SENDER = "sender@example.com";
    /** Ports other services of this machine use: never taken for Postfix's listener. */
    private static final Set<Integer> RESERVED_PORTS = Set.of(8080, 8180, 9990, 10090, 40025);

    private final Path root;
    private final Path config;
    private final int port;
    private final long masterPid;
    /** Ends the master (SIGTERM, which stops Postfix) if the run is cut short before {@link #close}. */
    private final Thread onExit;

    private PostfixRetry(Path root, int port, long masterPid) {
        this.root = root;
        this.config = root.resolve("etc");
        this.port = port;
        this.masterPid = masterPid;
        this.onExit = new Thread(() -> ProcessHandle.of(masterPid).ifPresent(ProcessHandle::destroy), "bench-postfix-stop");
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /** Why Postfix's figure cannot be measured here, or null when it can. */
    static String unavailable() {
        if (!Files.isExecutable(POSTFIX) || !Files.isExecutable(POSTCONF)) {
            return POSTFIX + " is not installed (Debian's postfix package; bench/run installs it as root)";
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return "Postfix's master must be started as root, and the harness runs as " + System.getProperty("user.name");
        }
        return null;
    }

    /**
     * A Postfix with its directories under {@code root} (made fresh), relaying to 127.0.0.1:{@code relayPort}.
     * Postfix's daemons run as its own user and must reach {@code root}: directories on the way
     * that others may not pass through are opened for passing (not for listing) from
     * {@code reachableFrom} down, the scratch directory; one above it that is closed throws.
     */
    static PostfixRetry start(Path root, Path reachableFrom, int relayPort) throws IOException, InterruptedException {
        letPostfixThrough(root.toAbsolutePath().normalize(), reachableFrom.toAbsolutePath().normalize());
        Path config = Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("spool")); // postfix check makes its subdirectories, owned as Postfix wants
        int port = freePort();
        Files.writeString(config.resolve("main.cf"), mainCf(root, relayPort), StandardCharsets.US_ASCII);
        Files.writeString(config.resolve("master.cf"), masterCf(port), StandardCharsets.US_ASCII);
        String output;
        try {
            output = run(POSTFIX.toString(), "-c", config.toString(), "start");
        } catch (IllegalStateException e) {
            throw new IllegalStateException(e.getMessage() + "; its log ends: " + logTail(root), e);
        }
        Path pidFile = root.resolve("spool/pid/master.pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STOP_SECONDS);
        while (System.nanoTime() < deadline) {
            if (Files.exists(pidFile) && listening(port)) {
                long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
                Progress.say("merge: Postfix (master pid %d) listens on 127.0.0.1:%d, configuration %s", pid, port, config);
                return new PostfixRetry(root, port, pid);
            }
            Thread.sleep(50);
        }
        throw new IllegalStateException("Postfix did not listen on 127.0.0.1:" + port + " within " + STOP_SECONDS + " s; postfix start said: "
                + output.strip() + "; its log ends: " + logTail(root));
    }

    int port() {
        return port;
    }

    long masterPid() {
        return masterPid;
    }

    Path config() {
        return config;
    }

    /** "name = value" for each parameter, as {@code postconf -c} reads this instance's configuration. */
    String settings(String... names) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(POSTCONF.toString(), "-c", config.toString()));
        command.addAll(List.of(names));
        return String.join(", ", run(command.toArray(String[]::new)).strip().split("\n"));
    }

    /**
     * Sends one message to each of {@code recipients} over {@value #SESSIONS} SMTP sessions,
     * recipient k at {@code perSecond} from the start (at once when behind). Returns the rate
     * Postfix accepted them at, per second.
     */
    double submit(List<String> recipients, byte[] content, int perSecond) throws InterruptedException {
        Properties properties = new Properties();
        properties.put("mail.smtp.host", "127.0.0.1");
        properties.put("mail.smtp.port", Integer.toString(port));
        properties.put("mail.smtp.from", SENDER);
        properties.put("mail.smtp.localhost", "bench.example");
        properties.put("mail.smtp.connectiontimeout", "10000");
        properties.put("mail.smtp.timeout", "60000");
        Session session = Session.getInstance(properties);
        try {
            return PacedRun.run("merge postfix submit", SESSIONS, recipients.size(), perSecond, System.nanoTime(), 0, slots -> {
                MimeMessage message = new MimeMessage(session, new ByteArrayInputStream(content));
                try (Transport transport = session.getTransport("smtp")) {
                    transport.connect();
                    for (int k; (k = slots.next()) >= 0; ) {
                        transport.sendMessage(message, new Address[]{new InternetAddress(recipients.get(k))});
                    }
                }
            });
        } catch (IllegalStateException e) {
            throw new IllegalStateException("Postfix on 127.0.0.1:" + port + " did not take a message: " + e.getCause()
                    + "; its log ends: " + logTail(root), e);
        }
    }

    /** Stops this instance and waits for its master process to end; kills that PID if it outlives the wait. */
    @Override
    public void close() throws IOException, InterruptedException {
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // already exiting: the hook ends the master
        }
        try {
            run(POSTFIX.toString(), "-c", config.toString(), "stop");
        } catch (IllegalStateException e) {
            Progress.say("merge: postfix stop failed (%s); ending its master, pid %d", e.getMessage(), masterPid);
        }
        ProcessHandle master = ProcessHandle.of(masterPid).orElse(null);
        if (master == null) {
            return;
        }
        try {
            master.onExit().get(STOP_SECONDS, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            Progress.say("merge: Postfix's master (pid %d) still runs %d s after postfix stop; killing it", masterPid, STOP_SECONDS);
            master.destroyForcibly();
        }
    }

    /** The last lines of the instance's mail log, for failure messages. */
    String logTail() {
        return logTail(root);
    }

    private static String logTail(Path root) {
        try {
            List<String> lines = Files.readAllLines(root.resolve("maillog"), StandardCharsets.UTF_8);
            return String.join("\n  ", lines.subList(Math.max(0, lines.size() - 10), lines.size()));
        } catch (IOException e) {
            return "(no mail log: " + e.getMessage() + ")";
        }
    }

    /** Adds "others may pass" to every directory from {@code directory} up to {@code top}; checks the ones above. */
    private static void letPostfixThrough(Path directory, Path top) throws IOException {
        for (Path step = directory; step != null; step = step.getParent()) {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(step);
            if (permissions.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                continue;
            }
            if (!step.startsWith(top)) {
                throw new IllegalStateException("Postfix's daemons (user postfix) cannot pass through " + step + " to reach " + directory
                        + ": give the harness a --dir that others may pass through");
            }
            permissions.add(PosixFilePermission.OTHERS_EXECUTE);
            permissions.add(PosixFilePermission.GROUP_EXECUTE);
            Files.setPosixFilePermissions(step, permissions);
        }
    }

    private static String mainCf(Path root, int relayPort) {
        return String.join("\n",
                "# Written by the Outbox benchmark's merge lane; deleted with its scratch directory.",
                "compatibility_level = 3.6",
                "queue_directory = " + root.resolve("spool"),
                "data_directory = " + root.resolve("data"),
                "mail_owner = postfix",
                "setgid_group = postdrop",
                "syslog_name = postfix-bench-merge",
                "maillog_file_prefixes = " + root,
                "maillog_file = " + root.resolve("maillog"),
                "myhostname = postfix.bench.invalid",
                "mydomain = bench.invalid",
                "mydestination =",
                "local_recipient_maps =",
                "alias_maps =",
                "alias_database =",
                "inet_interfaces = 127.0.0.1",
                "inet_protocols = ipv4",
                "mynetworks = 127.0.0.0/8",
                "smtpd_relay_restrictions = permit_mynetworks, reject",
                "relayhost = [127.0.0.1]:" + relayPort,
                "smtp_dns_support_level = disabled",
                "smtp_host_lookup = native",
                "minimal_backoff_time = " + BACKOFF_SECONDS + "s",
                "maximal_backoff_time = " + BACKOFF_SECONDS + "s",
                "queue_run_delay = " + BACKOFF_SECONDS + "s",
                "");
    }

    /** Postfix's own services, none chrooted (the queue is not under /var/spool/postfix), and smtpd on 127.0.0.1:{@code port}. */
    private static String masterCf(int port) {
        return String.join("\n",
                "# service type  private unpriv  chroot  wakeup  maxproc command",
                "127.0.0.1:" + port + " inet n - n - - smtpd",
                "pickup    unix  n       -       n       60      1       pickup",
                "cleanup   unix  n       -       n       -       0       cleanup",
                "qmgr      unix  n       -       n       300     1       qmgr",
                "rewrite   unix  -       -       n       -       -       trivial-rewrite",
                "bounce    unix  -       -       n       -       0       bounce",
                "defer     unix  -       -       n       -       0       bounce",
                "trace     unix  -       -       n       -       0       bounce",
                "verify    unix  -       -       n       -       1       verify",
                "flush     unix  n       -       n       1000?   0       flush",
                "proxymap  unix  -       -       n       -       -       proxymap",
                "smtp      unix  -       -       n       -       -       smtp",
                "relay     unix  -       -       n       -       -       smtp",
                "showq     unix  n       -       n       -       -       showq",
                "error     unix  -       -       n       -       -       error",
                "retry     unix  -       -       n       -       -       error",
                "discard   unix  -       -       n       -       -       discard",
                "local     unix  -       n       n       -       -       local",
                "anvil     unix  -       -       n       -       1       anvil",
                "scache    unix  -       -       n       -       1       scache",
                "postlog   unix-dgram n  -       n       -       1       postlogd",
                "");
    }

    /** Runs a Postfix command and returns what it printed; a non-zero exit throws with that output. */
    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " did not end within 60 s: " + output.strip());
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " exited with " + process.exitValue() + ": " + output.strip());
        }
        return output;
    }

    private static int freePort() throws IOException {
        while (true) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", 0));
                if (!RESERVED_PORTS.contains(probe.getLocalPort())) {
                    return probe.getLocalPort();
                }
            }
        }
    }

    private static boolean listening(int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "Postfix 127.0.0.1:%d (master pid %d, configuration %s)", port, masterPid, config);
    }
}
