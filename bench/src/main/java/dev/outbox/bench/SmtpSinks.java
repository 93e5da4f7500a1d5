package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The receiving servers of the delivery lane: one {@link SmtpSink} per loopback address the
 * lane's destinations use (127.0.0.1 for one destination, 127.0.1.1 ... for many), all on the
 * same port, since routing by MX connects to every MX host on one port.
 *
 * <p>{@link #start} picks a free port ({@link LoopbackPort}) and starts a sink on each address,
 * trying another port when one address cannot take it. {@link #messages()},
 * {@link #sessions()} and {@link #cpuNanos()} sum the sinks' own counts and CPU time;
 * {@link #awaitMessages} and {@link #settledSessions} wait for the counts to reach a number or to
 * stop moving; {@link #checkSpread} checks that every destination's sink got its messages;
 * {@link #readerThreadIds()} are the threads of this JVM that read their counters.
 * {@link #close} stops them all.
 *
 * <p>Threading: the counts may be read from any thread. Misuse and failures: no port taken by
 * every address in {@value #PORT_ATTEMPTS} attempts throws {@link IllegalStateException} naming
 * the logs.
 */
final class SmtpSinks implements AutoCloseable {

    private static final int PORT_ATTEMPTS = 5;

    private final List<SmtpSink> sinks;
    private final int port;

    private SmtpSinks(List<SmtpSink> sinks, int port) {
        this.sinks = sinks;
        this.port = port;
    }

    /** A sink from {@code program} on each of {@code addresses}, one port for all; their error output in {@code logs}. */
    static SmtpSinks start(Path program, Collection<String> addresses, Path logs) throws IOException, InterruptedException {
        Set<String> distinct = new LinkedHashSet<>(addresses);
        String failures = "";
        for (int attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
            int port = LoopbackPort.free();
            List<SmtpSink> started = new ArrayList<>();
            String refused = null;
            for (String address : distinct) {
                SmtpSink sink = SmtpSink.start(program, address, port, logs.resolve("smtp-sink-" + address + ".log"));
                if (sink == null) {
                    refused = address;
                    break;
                }
                started.add(sink);
            }
            if (refused == null) {
                Progress.say("delivery: %d smtp-sink%s listen on port %d (%s)", started.size(), started.size() == 1 ? "" : "s", port,
                        started.size() == 1 ? started.get(0).address() + ", pid " + started.get(0).pid()
                                : started.get(0).address() + " ... " + started.get(started.size() - 1).address());
                return new SmtpSinks(List.copyOf(started), port);
            }
            for (SmtpSink sink : started) {
                sink.close();
            }
            failures += String.format(Locale.ROOT, " [port %d: not on %s, see %s]", port, refused, logs.resolve("smtp-sink-" + refused + ".log"));
        }
        throw new IllegalStateException("smtp-sink did not listen on every address in " + PORT_ATTEMPTS + " attempts:" + failures);
    }

    int port() {
        return port;
    }

    int size() {
        return sinks.size();
    }

    /** Messages all sinks received, as their counters last said. */
    long messages() {
        return sinks.stream().mapToLong(SmtpSink::messages).sum();
    }

    /** SMTP sessions that ended at any sink, as their counters last said. */
    long sessions() {
        return sinks.stream().mapToLong(SmtpSink::sessions).sum();
    }

    /** CPU time all sinks used so far, or -1 where one cannot tell. */
    long cpuNanos() {
        long sum = 0;
        for (SmtpSink sink : sinks) {
            long cpu = sink.cpuNanos();
            if (cpu < 0) {
                return -1;
            }
            sum += cpu;
        }
        return sum;
    }

    /** Messages each sink has counted, by its address. */
    Map<String, Long> messagesByAddress() {
        Map<String, Long> counts = new LinkedHashMap<>();
        sinks.forEach(sink -> counts.put(sink.address(), sink.messages()));
        return counts;
    }

    /**
     * Checks that since {@code before} ({@link #messagesByAddress()}) the sink of each of the
     * backlog's sites counted exactly the messages to that site: {@code who} routed every
     * message to its own destination. Throws {@link IllegalStateException} naming the first site
     * that differs.
     */
    void checkSpread(Map<String, Long> before, DeliveryBacklog backlog, String who) {
        Map<String, Long> now = messagesByAddress();
        List<DeliveryBacklog.Site> sites = backlog.sites();
        for (int k = 0; k < sites.size(); k++) {
            DeliveryBacklog.Site site = sites.get(k);
            long counted = now.getOrDefault(site.address(), 0L) - before.getOrDefault(site.address(), 0L);
            if (counted != backlog.messagesTo(k)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: the sink of %s (%s) counted %,d messages, not the %,d sent to it",
                        who, site.domain(), site.address(), counted, backlog.messagesTo(k)));
            }
        }
    }

    /**
     * Waits until the sinks have counted at least {@code messages} messages or {@code timeoutNanos}
     * have passed; returns their count then.
     */
    long awaitMessages(long messages, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (messages() < messages && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return messages();
    }

    /**
     * The sinks' session count once it has not moved for {@code stableMillis}, or after
     * {@code maxMillis}: a session counts when it ends, and a client may end it a while after its
     * last message.
     */
    long settledSessions(long stableMillis, long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        long last = sessions();
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline && System.nanoTime() - stableSince < TimeUnit.MILLISECONDS.toNanos(stableMillis)) {
            Thread.sleep(10);
            long now = sessions();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            }
        }
        return last;
    }

    List<Long> readerThreadIds() {
        return sinks.stream().map(SmtpSink::readerThreadId).toList();
    }

    @Override
    public void close() throws InterruptedException {
        for (SmtpSink sink : sinks) {
            sink.close();
        }
    }

    @Override
    public String toString() {
        return sinks.size() == 1 ? sinks.get(0).toString() : sinks.size() + " smtp-sinks on port " + port + " (first " + sinks.get(0) + ")";
    }
}
