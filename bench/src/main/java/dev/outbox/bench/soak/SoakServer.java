package dev.outbox.bench.soak;

import dev.outbox.testing.ServerBase;
import dev.outbox.bench.Progress;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The WildFly the soak runs, kills and starts again: the unpacked server's scripts and modules
 * (only read), with a base directory of its own under the soak's folder (configuration copied
 * from the server's, deployments, data, logs), {@code standalone-full.xml}, bound to 127.0.0.1
 * with a port offset, and no {@code OUTBOX_SMARTHOST} in its environment.
 *
 * <p>{@link #prepare()} makes a fresh base directory (failing when the ports are taken);
 * {@link #start()} starts {@code standalone.sh} and waits until the server says it started;
 * {@link #cli(List)} runs jboss-cli commands as an operator does, without credentials
 * (WildFly's {@code $local}); {@link #awaitOutbox(Duration)} waits until the demo application
 * answers; {@link #killDashNine()} sends SIGKILL to the server's JVM (the child of the script,
 * found by process id, never by name); {@link #stop()} shuts it down gently. Whether it is up
 * is a gate the submitters wait on ({@link #awaitUp()}), and {@link #upNanos()} is the time it
 * has been up, the clock the soak's pacing and kills follow. The JVM is killed on exit of the
 * soak if it still runs.
 *
 * <p>Threading: start, kill and stop from one thread (the soak's); the gate and the clock from any.
 * Failures: {@link IllegalStateException} with the tail of the server's console.
 */
final class SoakServer implements AutoCloseable {

    private static final Duration START_LIMIT = Duration.ofMinutes(4);
    private static final Duration STOP_LIMIT = Duration.ofMinutes(1);

    private final Path jbossHome;
    private final Path base;
    private final int portOffset;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final Object gate = new Object();
    private final Thread onExit = new Thread(this::killIfRunning, "soak-wildfly-kill-on-exit");
    private Process script;
    private ProcessHandle jvm;
    private int lives;
    private boolean up;
    private volatile boolean running;
    private long upSince;
    private long upBefore;

    SoakServer(Path jbossHome, Path base, int portOffset) {
        this.jbossHome = jbossHome.toAbsolutePath().normalize();
        this.base = base.toAbsolutePath().normalize();
        this.portOffset = portOffset;
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /** The HTTP client the soak talks to the demo application with (HTTP/1.1, a 5 s connect timeout). */
    HttpClient http() {
        return http;
    }

    int httpPort() {
        return 8080 + portOffset;
    }

    int managementPort() {
        return 9990 + portOffset;
    }

    Path jbossHome() {
        return jbossHome;
    }

    Path serverLog() {
        return base.resolve("log/server.log");
    }

    /** The demo application's {@code POST} address. */
    URI messagesApi() {
        return URI.create("http://127.0.0.1:" + httpPort() + "/outbox-demo/api/messages");
    }

    /** Lives started so far: 1 after the first start, 2 after the first restart, ... */
    synchronized int lives() {
        return lives;
    }

    /** A fresh base directory: the server's configuration (without its history), nothing deployed, no data, no logs. */
    void prepare() throws IOException {
        if (!Files.isExecutable(jbossHome.resolve("bin/standalone.sh"))) {
            throw new IllegalStateException(jbossHome + " holds no WildFly: bench/soak unpacks one there (mvn package -Psoak -pl bench -am)");
        }
        for (int port : List.of(httpPort(), managementPort())) {
            try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException("port " + port + " on 127.0.0.1 is taken: give another --port-offset (" + e.getMessage() + ")");
            }
        }
        ServerBase.fresh(jbossHome, base);
        Files.createDirectories(base.resolve("log"));
    }

    /** Starts the server (a new life) and waits until it says it has started, deployments included. */
    void start() throws IOException, InterruptedException {
        int life;
        synchronized (this) {
            life = ++lives;
        }
        Path console = base.resolve("log/console-" + life + ".log");
        ProcessBuilder builder = new ProcessBuilder(jbossHome.resolve("bin/standalone.sh").toString(), "-c", "standalone-full.xml",
                "-Djboss.server.base.dir=" + base, "-Djboss.socket.binding.port-offset=" + portOffset,
                "-b", "127.0.0.1", "-bmanagement", "127.0.0.1")
                .redirectErrorStream(true).redirectOutput(console.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        builder.environment().remove("OUTBOX_SMARTHOST"); // routing by MX, whatever the caller's shell says
        builder.environment().remove("JAVA_OPTS"); // standalone.conf's options, with this heap
        builder.environment().put("JBOSS_JAVA_SIZING", "-Xms256m -Xmx1g");
        Process started = builder.start();
        running = true;
        synchronized (this) {
            script = started;
            jvm = null;
        }
        long deadline = System.nanoTime() + START_LIMIT.toNanos();
        while (true) {
            String text = Files.readString(console, StandardCharsets.ISO_8859_1);
            if (text.contains("WFLYSRV0025") || text.contains("WFLYSRV0026")) {
                break;
            }
            if (!started.isAlive() || System.nanoTime() > deadline) {
                throw new IllegalStateException("WildFly (life " + life + ") did not start" + (started.isAlive() ? " within " + START_LIMIT
                        : ", exit status " + started.exitValue()) + "; the end of " + console + ":\n" + tail(text));
            }
            Thread.sleep(250);
        }
        ProcessHandle found = started.toHandle().children()
                .filter(p -> p.info().command().map(c -> c.endsWith("java")).orElse(false)).findFirst()
                .orElseThrow(() -> new IllegalStateException("standalone.sh (pid " + started.pid() + ") runs no java"));
        synchronized (this) {
            jvm = found;
        }
        Progress.say("soak: WildFly life %d is up (pid %d)", life, found.pid());
    }

    /** Runs {@code commands} in one jboss-cli session, connected as {@code $local}; each must succeed. */
    String cli(List<String> commands) throws IOException, InterruptedException {
        Path file = Files.createTempFile(base, "soak-", ".cli");
        Files.write(file, commands, StandardCharsets.UTF_8);
        try {
            ProcessBuilder builder = new ProcessBuilder(jbossHome.resolve("bin/jboss-cli.sh").toString(), "--connect",
                    "--controller=remote+http://127.0.0.1:" + managementPort(), "--file=" + file)
                    .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            builder.environment().remove("JAVA_OPTS");
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0 || output.contains("\"outcome\" => \"failed\"")) {
                throw new IllegalStateException("jboss-cli failed on " + commands + ":\n" + output);
            }
            return output;
        } finally {
            Files.delete(file);
        }
    }

    /** Waits until the demo application answers a GET of its POST-only address with 405: Outbox and the submitter are deployed. */
    void awaitOutbox(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        int status = -1;
        while (System.nanoTime() < deadline) {
            try {
                status = http.send(HttpRequest.newBuilder(messagesApi()).timeout(Duration.ofSeconds(10)).GET().build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status == 405) {
                    return;
                }
            } catch (IOException e) {
                status = -1;
            }
            Thread.sleep(250);
        }
        throw new IllegalStateException("the demo application did not answer at " + messagesApi() + " within " + limit
                + " (last status " + status + "); see " + serverLog());
    }

    /** Opens the gate: submitters go on, the up-time clock runs. */
    void markUp() {
        synchronized (gate) {
            if (!up) {
                up = true;
                upSince = System.nanoTime();
                gate.notifyAll();
            }
        }
    }

    /** Closes the gate before a kill or stop: submitters wait, the up-time clock stops. */
    void markDown() {
        synchronized (gate) {
            if (up) {
                up = false;
                upBefore += System.nanoTime() - upSince;
            }
        }
    }

    /** True from the start of a life until the soak kills or stops it: its MBeans may be read (once Outbox has started). */
    boolean isRunning() {
        return running;
    }

    boolean isUp() {
        synchronized (gate) {
            return up;
        }
    }

    /** Waits until the server is up (marked so). */
    void awaitUp() throws InterruptedException {
        synchronized (gate) {
            while (!up) {
                gate.wait();
            }
        }
    }

    /** Nanoseconds the server has been up (marked so) since its first start. */
    long upNanos() {
        synchronized (gate) {
            return upBefore + (up ? System.nanoTime() - upSince : 0);
        }
    }

    /** SIGKILL to the server's JVM; returns once it and its script have exited. */
    void killDashNine() throws InterruptedException {
        Life life = end();
        if (life.jvm() == null) {
            throw new IllegalStateException("no WildFly JVM to kill");
        }
        life.jvm().destroyForcibly();
        awaitExit(life);
    }

    /** A gentle shutdown (SIGTERM to the JVM); SIGKILL if it has not ended within a minute. */
    void stop() throws InterruptedException {
        Life life = end();
        if (life.jvm() == null || !life.jvm().isAlive()) {
            return;
        }
        life.jvm().destroy();
        try {
            life.jvm().onExit().get(STOP_LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            life.jvm().destroyForcibly();
        }
        awaitExit(life);
    }

    /** The server's JVM, when it runs. */
    synchronized Optional<ProcessHandle> jvm() {
        return jvm == null || !jvm.isAlive() ? Optional.empty() : Optional.of(jvm);
    }

    /** Stops the server if it runs (see {@link #stop()}); interrupted, it leaves the JVM to the exit hook, which kills it. */
    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // already exiting: the hook kills it
        }
    }

    /** The processes of one life: the script the soak started and its JVM (null until it has started). */
    private record Life(Process script, ProcessHandle jvm) {
    }

    /** Closes the gate and ends "running" before the current life is ended; returns its processes. */
    private Life end() {
        markDown();
        running = false;
        synchronized (this) {
            return new Life(script, jvm);
        }
    }

    private static void awaitExit(Life life) throws InterruptedException {
        try {
            life.jvm().onExit().get(STOP_LIMIT.toSeconds(), TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException("WildFly's JVM (pid " + life.jvm().pid() + ") did not exit", e);
        }
        if (life.script() != null && !life.script().waitFor(STOP_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new IllegalStateException("standalone.sh (pid " + life.script().pid() + ") did not exit after its JVM");
        }
    }

    private synchronized void killIfRunning() {
        if (jvm != null && jvm.isAlive()) {
            jvm.destroyForcibly();
        }
    }

    private static String tail(String text) {
        List<String> lines = new ArrayList<>(List.of(text.split("\n")));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

}
