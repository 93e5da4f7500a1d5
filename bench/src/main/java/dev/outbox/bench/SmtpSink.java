package dev.outbox.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Postfix's {@code smtp-sink}, the receiving server of the delivery lane: a process of its own
 * on 127.0.0.1 and a free port, which accepts every message and throws it away, at a pace no
 * real server reaches (FACTS.md: smtp-source pushes about 20,000 messages a second into it here).
 *
 * <p>{@link #start} finds a free port, starts the program there ({@code -u nobody} when this
 * process is root, as smtp-sink demands; {@code -c} so that it prints its counters) and waits
 * until it accepts connections. {@link #messages()} and {@link #sessions()} are its own counts
 * (messages ended by ".", sessions ended) since it started, read from those counters:
 * a check on the engine's count that does not come from the engine. {@link #cpuNanos()} is its
 * CPU time so far, so that the lane can tell the sink's share of the machine from the engine's.
 * {@link #close} ends the process (also done on exit, if the run is cut short).
 *
 * <p>Threading: the counters are read by one daemon thread of its own and may be read from any
 * thread. Misuse and failures: a program that is not there, or does not listen within
 * {@value #START_SECONDS} s, throws {@link IllegalStateException} with what it printed.
 */
final class SmtpSink implements AutoCloseable {

    static final Path DEBIAN_PATH = Path.of("/usr/sbin/smtp-sink");

    private static final int START_SECONDS = 5;
    private static final int PORT_ATTEMPTS = 5;
    private static final Pattern COUNTER = Pattern.compile("(sess|mesg)=(\\d+)");

    private final Process process;
    private final int port;
    private final Path log;
    private final Thread onExit;
    private volatile long messages;
    private volatile long sessions;

    private SmtpSink(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.onExit = new Thread(process::destroy, "bench-smtp-sink-stop");
        Runtime.getRuntime().addShutdownHook(onExit);
        Thread reader = new Thread(this::readCounters, "bench-smtp-sink-counters");
        reader.setDaemon(true);
        reader.start();
    }

    /** smtp-sink from {@code program} on 127.0.0.1 and a free port; its error output goes to {@code log}. */
    static SmtpSink start(Path program, Path log) throws IOException, InterruptedException {
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException("the delivery lane needs Postfix's smtp-sink, and " + program + " is not there: "
                    + "install Debian's postfix package (bench/run does when it may), give --smtp-sink PATH, or run --only store");
        }
        String failures = "";
        for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
            int port = freePort();
            List<String> command = new ArrayList<>(List.of(program.toString(), "-c"));
            if (isRoot()) {
                command.addAll(List.of("-u", "nobody"));
            }
            command.addAll(List.of("127.0.0.1:" + port, "256"));
            Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
            if (listening(process, port)) {
                Progress.say("delivery: smtp-sink (pid %d) listens on 127.0.0.1:%d", process.pid(), port);
                return new SmtpSink(process, port, log);
            }
            process.destroy();
            process.waitFor(START_SECONDS, TimeUnit.SECONDS);
            failures += String.format(Locale.ROOT, " [port %d: %s]", port, Files.readString(log, StandardCharsets.UTF_8).strip());
        }
        throw new IllegalStateException("smtp-sink did not listen on 127.0.0.1 in " + PORT_ATTEMPTS + " attempts:" + failures);
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    /** Messages it received (ended with "."), as its counters last said. */
    long messages() {
        return messages;
    }

    /** SMTP sessions that ended, as its counters last said. */
    long sessions() {
        return sessions;
    }

    /** CPU time the sink used so far (user and kernel), or -1 where {@code /proc} cannot tell. */
    long cpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(process.pid()), "stat"));
            // Fields after the command name in parentheses: state is field 3, utime 14, stime 15.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * TimeUnit.SECONDS.toNanos(1) / ClockTicks.PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(START_SECONDS, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // already exiting: the hook stops it
        }
    }

    @Override
    public String toString() {
        return "smtp-sink 127.0.0.1:" + port + " (pid " + process.pid() + ", errors in " + log + ")";
    }

    /** Its counters: "sess=N quit=N mesg=N", each update ended by a carriage return. */
    private void readCounters() {
        StringBuilder line = new StringBuilder();
        try (InputStream out = process.getInputStream()) {
            for (int c; (c = out.read()) >= 0; ) {
                if (c != '\r' && c != '\n') {
                    line.append((char) c);
                    continue;
                }
                Matcher counter = COUNTER.matcher(line);
                while (counter.find()) {
                    long value = Long.parseLong(counter.group(2));
                    if (counter.group(1).equals("sess")) {
                        sessions = value;
                    } else {
                        messages = value;
                    }
                }
                line.setLength(0);
            }
        } catch (IOException e) {
            // the process ended: the counts stay as last read
        }
    }

    /** smtp-sink refuses to run as root unless told which user to become. */
    private static boolean isRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket probe = new ServerSocket()) {
            probe.bind(new InetSocketAddress("127.0.0.1", 0));
            return probe.getLocalPort();
        }
    }

    /** True once a connection to the port succeeds while the process runs; false when it ends or the time is up. */
    private static boolean listening(Process process, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (process.isAlive() && System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress("127.0.0.1", port), 1000);
                return true;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        return false;
    }

    /** The kernel's clock ticks per second for process CPU times ({@code getconf CLK_TCK}), 100 where it cannot be asked. */
    private static final class ClockTicks {
        static final long PER_SECOND = ask();

        private static long ask() {
            try {
                Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
                String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
                return getconf.waitFor() == 0 ? Long.parseLong(out) : 100;
            } catch (IOException | RuntimeException e) {
                return 100;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 100;
            }
        }
    }
}
