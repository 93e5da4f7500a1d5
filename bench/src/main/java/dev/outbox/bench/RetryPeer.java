package dev.outbox.bench;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Exchange;
import dev.outbox.testing.smtp.Reaction;
import dev.outbox.testing.smtp.ScriptedSmtpServer;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The SMTP server the merge lane's deferred mail goes to: the testing module's
 * {@link ScriptedSmtpServer} on 127.0.0.1, scripted to answer the first RCPT of every address
 * {@value #FIRST_REPLY_CODE} (a temporary failure of that recipient alone) and every later one
 * with its default 250, so each recipient is deferred exactly once and then delivered.
 *
 * <p>It notes, per address (lower case), when its first RCPT arrived ({@link #refusedAt}) and when
 * its first accepted one did ({@link #acceptedAt}): the wall-clock millisecond at which the
 * server had read the command line, before it answered. That second time is the retry's attempt
 * start as the next hop sees it. {@link #accepted()} counts addresses accepted, and
 * {@link #repeats()} RCPTs for an address already accepted (a duplicate attempt).
 *
 * <p>Threading: the rule runs on the server's connection threads; the readers may be called
 * from any thread. {@link #close} closes the server (which reports a rule that failed).
 */
final class RetryPeer implements AutoCloseable {

    static final int FIRST_REPLY_CODE = 451;
    static final String FIRST_REPLY = "451 4.3.0 Try again later (the benchmark defers every recipient once)";

    /** When one address was seen: 0 until it was. */
    private static final class Seen {
        final long refusedAt;
        volatile long acceptedAt;

        Seen(long refusedAt) {
            this.refusedAt = refusedAt;
        }
    }

    private final ScriptedSmtpServer server;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger repeats = new AtomicInteger();

    private RetryPeer(ScriptedSmtpServer server) {
        this.server = server;
        server.script(this::react);
    }

    static RetryPeer start() {
        return new RetryPeer(ScriptedSmtpServer.start());
    }

    int port() {
        return server.port();
    }

    /** When the first RCPT for {@code address} arrived (and was refused), or 0. */
    long refusedAt(String address) {
        Seen times = seen.get(address.toLowerCase(Locale.ROOT));
        return times == null ? 0 : times.refusedAt;
    }

    /** When the first accepted RCPT for {@code address} arrived, or 0. */
    long acceptedAt(String address) {
        Seen times = seen.get(address.toLowerCase(Locale.ROOT));
        return times == null ? 0 : times.acceptedAt;
    }

    /** Addresses accepted so far (each once). */
    int accepted() {
        return accepted.get();
    }

    /** RCPTs for an address that had been accepted already. */
    int repeats() {
        return repeats.get();
    }

    /** Messages the server stored (their dot answered 250). */
    int messages() {
        return server.received().size();
    }

    @Override
    public void close() {
        server.close();
    }

    @Override
    public String toString() {
        return server.toString();
    }

    private Reaction react(Exchange exchange) {
        if (exchange.command() != Command.RCPT) {
            return null;
        }
        long now = System.currentTimeMillis();
        String address = address(exchange.argument());
        boolean[] first = {false};
        Seen times = seen.computeIfAbsent(address, key -> {
            first[0] = true;
            return new Seen(now);
        });
        if (first[0]) {
            return Reaction.reply(FIRST_REPLY);
        }
        synchronized (times) {
            if (times.acceptedAt == 0) {
                times.acceptedAt = now;
                accepted.incrementAndGet();
            } else {
                repeats.incrementAndGet();
            }
        }
        return null; // the default answer: 250
    }

    /** The address inside "TO:&lt;a@b&gt; PARAMS", in lower case. */
    static String address(String argument) {
        int open = argument.indexOf('<');
        int close = argument.indexOf('>', open + 1);
        String address = open >= 0 && close > open ? argument.substring(open + 1, close) : argument.substring(argument.indexOf(':') + 1).strip();
        return address.toLowerCase(Locale.ROOT);
    }
}
