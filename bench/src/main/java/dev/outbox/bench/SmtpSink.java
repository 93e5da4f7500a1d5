package dev.outbox.bench;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One Postfix {@code smtp-sink}, a receiving server of the delivery lane: a process of its own
 * on a loopback address, which accepts every message and throws it away, at a pace no real
 * server reaches (FACTS.md: smtp-source pushes about 20,000 messages a second into it here).
 * {@link SmtpSinks} starts the lane's sinks, one per destination address, all on one port.
 *
 * <p>{@link #start} starts the program on an address and port ({@code -u nobody} when this
 * process is root, as smtp-sink demands; {@code -c} so that it prints its counters) and waits
 * until it accepts connections. {@link #messages()} and {@link #sessions()} are its own counts
 * (messages ended by ".", sessions ended) since it started, read from those counters:
 * a check on the contenders' counts that does not come from them. {@link #cpuNanos()} is its
 * CPU time so far, so that the lane can tell the sink's share of the machine from the
 * contenders'. {@link #readerThreadId()} is the thread of this JVM that reads its counters: the
 * harness's, not the engine's. {@link #close} ends the process (also done on exit, if the run is
 * cut short).
 *
 * <p>Threading: the counters are read by one daemon thread of its own and may be read from any
 * thread. Misuse and failures: a program that is not there throws {@link IllegalStateException};
 * one that does not listen within {@value #START_SECONDS} s gives null, and what it printed is in
 * its log.
 */
final class SmtpSink implements AutoCloseable {

    static final Path DEBIAN_PATH = Path.of("/usr/sbin/smtp-sink");

    static final int START_SECONDS = 5;
    private static final Pattern COUNTER = Pattern.compile("(sess|mesg)=(\\d+)");

    private final Process process;
    private final String address;
    private final int port;
    private final Path log;
    private final Thread onExit;
    private final Thread reader;
    private volatile long messages;
    private volatile long sessions;

    private SmtpSink(Process process, String address, int port, Path log) {
        this.process = process;
        this.address = address;
        this.port = port;
        this.log = log;
        this.onExit = new Thread(process::destroy, "bench-smtp-sink-stop");
        Runtime.getRuntime().addShutdownHook(onExit);
        this.reader = new Thread(this::readCounters, "bench-smtp-sink-counters-" + address);
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * smtp-sink from {@code program} on {@code address:port}, its error output in {@code log}; null
     * when it does not listen there (the port is taken on that address, or the program failed: see the log).
     */
    static SmtpSink start(Path program, String address, int port, Path log) throws IOException, InterruptedException {
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException("the delivery lane needs Postfix's smtp-sink, and " + program + " is not there: "
                    + "install Debian's postfix package (bench/run does when it may), give --smtp-sink PATH, or run --only store");
        }
        List<String> command = new ArrayList<>(List.of(program.toString(), "-c"));
        // smtp-sink refuses to run as root unless told which user to become.
        if (ProcStat.runsAsRoot()) {
            command.addAll(List.of("-u", "nobody"));
        }
        command.addAll(List.of(address + ":" + port, "256"));
        Process process = new ProcessBuilder(command).redirectError(log.toFile()).start();
        if (listening(process, address, port)) {
            return new SmtpSink(process, address, port, log);
        }
        process.destroy();
        process.waitFor(START_SECONDS, TimeUnit.SECONDS);
        return null;
    }

    String address() {
        return address;
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
        ProcStat stat = ProcStat.of(process.pid());
        return stat == null ? -1 : stat.ownNanos();
    }

    /** The thread of this JVM that reads the sink's counters. */
    long readerThreadId() {
        return reader.getId();
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
        return "smtp-sink " + address + ":" + port + " (pid " + process.pid() + ", errors in " + log + ")";
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

    /** True once a connection to the port succeeds while the process runs; false when it ends or the time is up. */
    private static boolean listening(Process process, String address, int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_SECONDS);
        while (process.isAlive() && System.nanoTime() < deadline) {
            try (Socket probe = new Socket()) {
                probe.connect(new InetSocketAddress(address, port), 1000);
                return true;
            } catch (IOException e) {
                Thread.sleep(20);
            }
        }
        return false;
    }
}
