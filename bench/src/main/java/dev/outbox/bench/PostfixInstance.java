package dev.outbox.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * A Postfix instance of the lane's own, in a scratch directory, started and stopped by the
 * harness: the contender Outbox is measured beside. {@link PostfixConfig} says how it is set up.
 *
 * <p>{@link #unavailable} says why Postfix cannot be measured here (not root, not installed), or
 * null. {@link #start} writes the configuration, makes the directories ({@code data} owned by
 * the mail owner, as Postfix demands), runs {@code postfix -c DIR start-fg} as a child of this
 * JVM (so that its master is reaped when it ends: this machine's init does not reap orphans) and
 * waits until the master has written its pid file and its smtpd accepts connections.
 * {@link #describe()} names its version and place. {@link #smtpdPort()} takes the backlog; {@link #held()} and {@link #queued()} count queue files;
 * {@link #release()} moves held mail to the deferred queue ({@code postsuper -H ALL}) and
 * {@link #flush()} asks the queue manager to deliver it ({@code postqueue -f}).
 * {@link #cpu()} is a snapshot of the CPU time of the master's process group (the master and
 * its daemons, with the time of the daemons it has reaped). {@link #logTail()} is the end of its
 * log, for failure messages. {@link #close} runs {@code postfix stop}, waits for the master to
 * end, and ends it by its pid if it does not; also on exit, if the run is cut short.
 *
 * <p>Threading: one caller at a time. Misuse and failures: a command that fails, or a master that
 * does not start within {@value #START_SECONDS} s, throws {@link IllegalStateException} with
 * what it printed and the end of the log.
 */
final class PostfixInstance implements AutoCloseable {

    private static final int START_SECONDS = 30;
    private static final int STOP_SECONDS = 20;
    /** Queues that hold mail not yet delivered. */
    private static final List<String> QUEUES = List.of("maildrop", "incoming", "active", "deferred", "hold");
    private static final String EXITED = "exited daemons";

    private final Path programs;
    private final PostfixConfig config;
    private final Process process;
    private final long masterPid;
    private final Thread onExit;

    /**
     * CPU time of the instance's processes at one moment, by pid.
     *
     * @param byPid   each live process of the group: its command and its CPU time with its reaped children's
     * @param logging the log daemon's own CPU time: what syslog would do for a Postfix on a machine with one
     */
    record Cpu(Map<Long, ProcStat> byPid, long logging) {

        long totalNanos() {
            return byPid.values().stream().mapToLong(ProcStat::totalNanos).sum();
        }

        /** CPU time since {@code start}, the log daemon's excluded. */
        long since(Cpu start) {
            return totalNanos() - start.totalNanos() - (logging - start.logging);
        }

        /**
         * Where the time since {@code start} went, by command, largest first: "smtp 40%, qmgr 20%,
         * ...". A daemon that exited meanwhile (an smtp process after its max_use deliveries) shows
         * under "exited daemons", with what it used after {@code start}; the log daemon is left out.
         */
        String breakdown(Cpu start) {
            Map<String, Long> byCommand = new HashMap<>();
            for (ProcStat now : byPid.values()) {
                ProcStat then = start.byPid.get(now.pid());
                byCommand.merge(now.command(), now.ownNanos() - (then == null ? 0 : then.ownNanos()), Long::sum);
                byCommand.merge(EXITED, now.reapedNanos() - (then == null ? 0 : then.reapedNanos()), Long::sum);
            }
            for (ProcStat then : start.byPid.values()) {
                if (!byPid.containsKey(then.pid())) {
                    // Its time until start was counted then; since it exited, all of it is in its parent's reaped time.
                    byCommand.merge(EXITED, -then.totalNanos(), Long::sum);
                }
            }
            byCommand.remove("postlogd");
            long total = Math.max(1, byCommand.values().stream().mapToLong(Long::longValue).sum());
            List<String> parts = new ArrayList<>();
            byCommand.entrySet().stream().filter(entry -> entry.getValue() > 0)
                    .sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(5)
                    .forEach(entry -> parts.add(String.format(Locale.ROOT, "%s %.0f%%", entry.getKey(), 100.0 * entry.getValue() / total)));
            return String.join(", ", parts);
        }
    }

    private PostfixInstance(Path programs, PostfixConfig config, Process process, long masterPid) {
        this.programs = programs;
        this.config = config;
        this.process = process;
        this.masterPid = masterPid;
        this.onExit = new Thread(this::stopQuietly, "bench-postfix-stop");
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /** Why Postfix from {@code programs} cannot be measured on this machine, or null when it can. */
    static String unavailable(Path programs) {
        for (String program : List.of("postfix", "postsuper", "postqueue", "smtp-source")) {
            if (!Files.isExecutable(programs.resolve(program))) {
                return programs.resolve(program) + " is not there (Debian's postfix package; bench/run installs it)";
            }
        }
        if (!ProcStat.runsAsRoot()) {
            return "Postfix's master must start as root, and the harness is not root";
        }
        UserPrincipalLookupService users = Path.of("/").getFileSystem().getUserPrincipalLookupService();
        try {
            users.lookupPrincipalByName(PostfixConfig.DEBIAN_MAIL_OWNER);
            users.lookupPrincipalByGroupName(PostfixConfig.DEBIAN_SETGID_GROUP);
        } catch (UserPrincipalNotFoundException e) {
            return "no user " + PostfixConfig.DEBIAN_MAIL_OWNER + " or group " + PostfixConfig.DEBIAN_SETGID_GROUP
                    + " (Debian's postfix package makes them)";
        } catch (IOException e) {
            return "cannot look up the user " + PostfixConfig.DEBIAN_MAIL_OWNER + ": " + e;
        }
        return null;
    }

    /** Writes {@code config} and starts the instance with Postfix's programs from {@code programs}. */
    static PostfixInstance start(Path programs, PostfixConfig config) throws IOException, InterruptedException {
        traversable(config.directory());
        Files.createDirectories(config.configDirectory());
        Files.createDirectories(config.queueDirectory());
        Files.createDirectories(config.dataDirectory());
        Files.writeString(config.configDirectory().resolve("main.cf"), config.mainCf(), StandardCharsets.US_ASCII);
        Files.writeString(config.configDirectory().resolve("master.cf"), config.masterCf(), StandardCharsets.US_ASCII);
        Files.writeString(config.transportTable(), config.transportTableText(), StandardCharsets.US_ASCII);
        UserPrincipalLookupService users = config.directory().getFileSystem().getUserPrincipalLookupService();
        UserPrincipal owner = users.lookupPrincipalByName(config.mailOwner());
        Files.setOwner(config.dataDirectory(), owner);

        Path startLog = config.directory().resolve("postfix-start-fg.log");
        Process process = new ProcessBuilder(programs.resolve("postfix").toString(), "-c", config.configDirectory().toString(), "start-fg")
                .redirectErrorStream(true).redirectOutput(startLog.toFile()).start();
        Path pidFile = config.queueDirectory().resolve("pid").resolve("master.pid");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        long master = -1;
        while (System.nanoTime() < deadline && process.isAlive()) {
            master = masterPid(pidFile);
            if (master > 0 && accepts(config.smtpdPort())) {
                PostfixInstance instance = new PostfixInstance(programs, config, process, master);
                Progress.say("delivery: Postfix (master pid %d) in %s, smtpd on 127.0.0.1:%d", master, config.directory(), config.smtpdPort());
                return instance;
            }
            Thread.sleep(50);
        }
        process.destroy();
        if (master > 0) {
            ProcessHandle.of(master).ifPresent(ProcessHandle::destroy);
        }
        throw new IllegalStateException("Postfix did not start in " + config.directory() + " within " + START_SECONDS + " s: "
                + Files.readString(startLog, StandardCharsets.UTF_8).strip() + "; log: " + tail(config.maillog()));
    }

    int smtpdPort() {
        return config.smtpdPort();
    }

    /** "Postfix 3.7.11 (its version, as its postconf says), the lane's own instance in DIR (master pid N)". */
    String describe() throws IOException, InterruptedException {
        return String.format(Locale.ROOT, "Postfix %s, the lane's own instance in %s (master pid %d)", command("postconf", "-h", "mail_version"),
                config.directory(), masterPid);
    }

    /** Messages in the hold queue. */
    long held() throws IOException {
        return count("hold");
    }

    /** Messages in any queue: not yet delivered. */
    long queued() throws IOException {
        long sum = 0;
        for (String queue : QUEUES) {
            sum += count(queue);
        }
        return sum;
    }

    /** {@code postsuper -H ALL}: every held message to the deferred queue, where a flush finds it. */
    void release() throws IOException, InterruptedException {
        command("postsuper", "-H", "ALL");
    }

    /** {@code postqueue -f}: the queue manager delivers the deferred queue now. */
    void flush() throws IOException, InterruptedException {
        command("postqueue", "-f");
    }

    Cpu cpu() {
        Map<Long, ProcStat> byPid = new TreeMap<>();
        long logging = 0;
        for (ProcStat stat : ProcStat.group(masterPid)) {
            byPid.put(stat.pid(), stat);
            if (stat.command().equals("postlogd")) {
                logging += stat.ownNanos();
            }
        }
        return new Cpu(byPid, logging);
    }

    /** The last lines of the instance's log. */
    String logTail() {
        return tail(config.maillog());
    }

    @Override
    public void close() throws IOException, InterruptedException {
        try {
            command("postfix", "stop");
        } finally {
            if (!process.waitFor(STOP_SECONDS, TimeUnit.SECONDS)) {
                ProcessHandle.of(masterPid).ifPresent(ProcessHandle::destroy);
                process.destroy();
                process.waitFor(STOP_SECONDS, TimeUnit.SECONDS);
            }
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException e) {
                // already exiting: the hook stops it
            }
        }
    }

    @Override
    public String toString() {
        return "Postfix in " + config.directory() + " (master pid " + masterPid + ")";
    }

    private void stopQuietly() {
        try {
            command("postfix", "stop");
        } catch (IOException | RuntimeException e) {
            ProcessHandle.of(masterPid).ifPresent(ProcessHandle::destroy);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs {@code program -c CONFIG args...} and returns what it printed; throws if it fails. */
    private String command(String program, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(programs.resolve(program).toString(), "-c", config.configDirectory().toString()));
        command.addAll(List.of(args));
        Process run = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!run.waitFor(STOP_SECONDS, TimeUnit.SECONDS) || run.exitValue() != 0) {
            run.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out + "; log: " + logTail());
        }
        return out;
    }

    private long count(String queue) throws IOException {
        Path directory = config.queueDirectory().resolve(queue);
        if (!Files.isDirectory(directory)) {
            return 0;
        }
        // Postfix's daemons move and delete queue files while they are counted: one gone between
        // the listing and its attributes is not counted (Files.walk would throw for it).
        long[] files = {0};
        Files.walkFileTree(directory, new VanishingFilesVisitor() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile()) {
                    files[0]++;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return files[0];
    }

    /**
     * Postfix's daemons run as the mail owner and open paths under {@code directory}: every
     * directory above it must let others through. The scratch directory is made private: it is
     * opened to others (search only, not listing); any other that is closed is an error.
     */
    private static void traversable(Path directory) throws IOException {
        Path scratch = directory.toAbsolutePath().getParent();
        Set<PosixFilePermission> permissions = new HashSet<>(Files.getPosixFilePermissions(scratch));
        if (permissions.add(PosixFilePermission.OTHERS_EXECUTE)) {
            Files.setPosixFilePermissions(scratch, permissions);
        }
        for (Path above = scratch.getParent(); above != null; above = above.getParent()) {
            if (!Files.getPosixFilePermissions(above).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new IllegalStateException("Postfix's daemons run as " + PostfixConfig.DEBIAN_MAIL_OWNER + " and cannot pass through " + above
                        + " (no search permission for others): give --dir a directory under open ones");
            }
        }
    }

    private static long masterPid(Path pidFile) {
        try {
            long pid = Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? pid : -1;
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static boolean accepts(int port) {
        try (Socket probe = new Socket()) {
            probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }
}
