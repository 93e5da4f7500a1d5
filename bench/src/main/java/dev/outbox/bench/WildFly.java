package dev.outbox.bench;

import dev.outbox.testing.ServerBase;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * One WildFly of the scale lane: the unpacked server's scripts and modules (only read) with a
 * base directory of its own (its configuration copied from the server's, {@code outbox.ear} in
 * its deployments, its data and logs), {@code standalone-full.xml}, bound to 127.0.0.1 with a
 * port offset. One life at a time: start, measure, stop, start again on the same data.
 *
 * <p>{@link #prepare} makes the base directory (failing when the ports are taken) and returns
 * the server, not started. {@link #start} runs {@code standalone.sh} and notes, as the console
 * prints them, when each line arrives, counted from the moment the script was started;
 * {@link #await} waits for a line that contains a marker and gives its arrival time and text.
 * {@link #pid} is the server's JVM (the script's java child, found by process id, never by name),
 * for {@code jcmd}. {@link #stop} ends that JVM with SIGTERM (WildFly shuts down gracefully) and
 * waits for it and the script; {@link #close} does the same when a life is still running, and the
 * JVM is also killed if the harness exits without that.
 *
 * <p>Threading: start, await and stop from one thread; a reader thread per life copies the
 * console to {@code log/console-N.log}. Failures: a server that ends, reports a failed boot or
 * deployment, or says nothing of the marker within the limit makes {@link #await} throw
 * {@link IllegalStateException} with the end of its console.
 */
final class WildFly implements AutoCloseable {

    /** Console lines that mean the server or Outbox will not come up as asked. */
    private static final List<String> FAILURES = List.of("WFLYSRV0026", "WFLYCTL0013", "Outbox cannot");
    /** WildFly's console colours its lines. */
    private static final Pattern ANSI = Pattern.compile("\u001B\\[[0-9;]*m");
    private static final Duration STOP_LIMIT = Duration.ofMinutes(2);
    private static final int TAIL_LINES = 30;

    /** A console line and when it arrived, in nanoseconds since the script was started. */
    record Line(long nanos, String text) {
    }

    private final Path home;
    private final Path base;
    private final int portOffset;
    private final Thread onExit = new Thread(this::killIfRunning, "bench-wildfly-kill-on-exit");
    private final List<Line> lines = new ArrayList<>();
    private final Deque<String> tail = new ArrayDeque<>();
    private Process script;
    private ProcessHandle jvm;
    private long startNanos;
    private int lives;
    private Path console;

    private WildFly(Path home, Path base, int portOffset) {
        this.home = home;
        this.base = base;
        this.portOffset = portOffset;
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /**
     * A server whose base directory {@code base} (created; must not exist yet) holds the
     * configuration of {@code home}'s standalone server and {@code deployables}.
     */
    static WildFly prepare(Path home, Path base, int portOffset, List<Path> deployables) throws IOException {
        home = home.toAbsolutePath().normalize();
        base = base.toAbsolutePath().normalize();
        if (!Files.isExecutable(home.resolve("bin/standalone.sh"))) {
            throw new IllegalStateException(home + " holds no WildFly: bench/run unpacks one there (mvn package -Psoak -pl bench -am)");
        }
        for (int port : List.of(8080 + portOffset, 9990 + portOffset)) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException("port " + port + " on 127.0.0.1 is taken, and the scale lane's WildFly runs with port offset "
                        + portOffset + ": " + e.getMessage());
            }
        }
        ServerBase.fresh(home, base);
        Path deployments = base.resolve("deployments");
        for (Path deployable : deployables) {
            Files.copy(deployable, deployments.resolve(deployable.getFileName()));
        }
        Files.createDirectories(base.resolve("log"));
        return new WildFly(home, base, portOffset);
    }

    Path home() {
        return home;
    }

    /** The server's data directory ({@code jboss.server.data.dir}). */
    Path dataDirectory() {
        return base.resolve("data");
    }

    /** Its management interface as a JMX console connects to it. */
    String jmxUrl() {
        return "service:jmx:remote+http://127.0.0.1:" + (9990 + portOffset);
    }

    /**
     * Starts a new life: {@code standalone.sh} with {@code properties} as system properties and
     * {@code environment} added to this process's (less {@code JAVA_OPTS}, so the server keeps
     * the options of its {@code standalone.conf}). Returns at once.
     */
    void start(Map<String, String> environment, List<String> properties) throws IOException {
        if (script != null) {
            throw new IllegalStateException("WildFly in " + base + " is already running (life " + lives + ")");
        }
        lives++;
        console = base.resolve("log/console-" + lives + ".log");
        List<String> command = new ArrayList<>(List.of(home.resolve("bin/standalone.sh").toString(), "-c", "standalone-full.xml",
                "-Djboss.server.base.dir=" + base, "-Djboss.socket.binding.port-offset=" + portOffset,
                "-b", "127.0.0.1", "-bmanagement", "127.0.0.1"));
        command.addAll(properties);
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().remove("JAVA_OPTS");
        builder.environment().putAll(environment);
        synchronized (lines) {
            lines.clear();
            tail.clear();
        }
        startNanos = System.nanoTime();
        script = builder.start();
        jvm = null;
        Process reading = script;
        Path file = console;
        Thread reader = new Thread(() -> copy(reading, file), "bench-wildfly-console-" + lives);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Waits until a console line contains {@code marker}; returns that line with its arrival time.
     * Lines are kept from the start of the life, so a line that came already is found at once.
     */
    Line await(String marker, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        int seen = 0;
        synchronized (lines) {
            while (true) {
                for (; seen < lines.size(); seen++) {
                    Line line = lines.get(seen);
                    if (line.text().contains(marker)) {
                        return line;
                    }
                    for (String failure : FAILURES) {
                        if (line.text().contains(failure)) {
                            throw failed("reported a failure while " + marker + " was awaited: " + line.text());
                        }
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw failed("did not print " + marker + " within " + limit.toSeconds() + " s");
                }
                if (script == null || !script.isAlive()) {
                    throw failed("ended (exit status " + (script == null ? "?" : script.exitValue()) + ") before printing " + marker);
                }
                lines.wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 250));
            }
        }
    }

    /** The process id of the server's JVM in this life. */
    long pid() throws InterruptedException {
        if (jvm == null) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (jvm == null) {
                jvm = script.toHandle().children().filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false))
                        .findFirst().orElse(null);
                if (jvm == null) {
                    if (System.nanoTime() > deadline || !script.isAlive()) {
                        throw failed("runs no java process under its script (pid " + script.pid() + ")");
                    }
                    Thread.sleep(50);
                }
            }
        }
        return jvm.pid();
    }

    /** The heap and collector options of the server's JVM in this life ("-Xms64m -Xmx512m"), or what the JVM chose by itself. */
    String heapOptions() throws InterruptedException {
        List<String> options = ProcessHandle.of(pid()).flatMap(p -> p.info().arguments()).map(List::of).orElse(List.of()).stream()
                .filter(a -> a.startsWith("-Xm") || a.matches("-XX:[+]Use\\w+GC")).toList();
        return options.isEmpty() ? "the JVM's own heap size and collector" : String.join(" ", options);
    }

    /** Shuts the server down (SIGTERM to its JVM) and waits until it and its script have ended. */
    void stop() throws InterruptedException {
        if (script == null) {
            return;
        }
        long pid = pid();
        Progress.say("stopping WildFly (pid %d)", pid);
        jvm.destroy();
        if (!script.waitFor(STOP_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            jvm.destroyForcibly();
            script.waitFor(30, TimeUnit.SECONDS);
            script = null;
            throw new IllegalStateException("WildFly (pid " + pid + ") did not stop within " + STOP_LIMIT.toSeconds()
                    + " s of SIGTERM and was killed; see " + console);
        }
        script = null;
        jvm = null;
    }

    @Override
    public void close() throws InterruptedException {
        try {
            stop();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onExit);
            } catch (IllegalStateException exiting) {
                // the hook runs anyway and finds nothing left
            }
        }
    }

    private void copy(Process process, Path file) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (String raw; (raw = in.readLine()) != null; ) {
                long nanos = System.nanoTime() - startNanos;
                String text = ANSI.matcher(raw).replaceAll("");
                out.write(text);
                out.write('\n');
                out.flush();
                synchronized (lines) {
                    lines.add(new Line(nanos, text));
                    tail.addLast(text);
                    if (tail.size() > TAIL_LINES) {
                        tail.removeFirst();
                    }
                    lines.notifyAll();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy WildFly's console to " + file, e);
        } finally {
            synchronized (lines) {
                lines.notifyAll();
            }
        }
    }

    private IllegalStateException failed(String what) {
        String end;
        synchronized (lines) {
            end = String.join("\n", tail);
        }
        return new IllegalStateException("WildFly in " + base + " (life " + lives + ") " + what + "; the end of " + console + ":\n" + end);
    }

    private void killIfRunning() {
        ProcessHandle running = jvm;
        if (running == null && script != null) {
            running = script.toHandle().children().findFirst().orElse(null);
        }
        if (running != null && running.isAlive()) {
            running.destroyForcibly();
        }
    }
}
