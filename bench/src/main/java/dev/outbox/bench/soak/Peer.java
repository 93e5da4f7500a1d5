package dev.outbox.bench.soak;

import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One MX host of the soak: a domain's SMTP server on a loopback address of its own and the port
 * Outbox is told to use, which the soak stops and starts again (the peer going away and coming
 * back). Each life is a new {@link ScriptedSmtpServer} on the same address with a new
 * {@link PeerScript} of the peer's temper; the messages of every life are kept.
 *
 * <p>{@link #up()} starts a life unless one runs; {@link #down()} ends it, closing every
 * connection at once, and adds what was in doubt then to {@link #inDoubtAtStops()}.
 * {@link #inDoubt()} is what is in doubt now, {@link #forgetConnections()} what the soak calls
 * after Outbox was killed. Failures of the scripted server (a rule that threw, a thread that
 * did not end) are kept in {@link #problems()}, for the account.
 *
 * <p>Threading: every method is synchronized; the servers run threads of their own.
 */
final class Peer implements AutoCloseable {

    private static final int BIND_ATTEMPTS = 20;
    /** The scripted server's own extensions, with PIPELINING or without: each life offers one or the other at random, so both of Outbox's ways are soaked. */
    private static final String[] EXTENSIONS = {"8BITMIME", "SIZE 104857600", "ENHANCEDSTATUSCODES"};
    private static final String[] EXTENSIONS_AND_PIPELINING = {"8BITMIME", "SIZE 104857600", "ENHANCEDSTATUSCODES", "PIPELINING"};

    private final String domain;
    private final String address;
    private final int port;
    private final double temper;
    private final Random random;
    private final List<ScriptedSmtpServer> lives = new ArrayList<>();
    private final List<PeerScript> scripts = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();
    private ScriptedSmtpServer server;
    private int inDoubtAtStops;
    private int stops;

    /** The MX host of {@code domain} on {@code address}:{@code port}, faulting at {@code temper} (0: reliable); not started. */
    Peer(String domain, String address, int port, double temper, Random random) {
        this.domain = domain;
        this.address = address;
        this.port = port;
        this.temper = temper;
        this.random = random;
    }

    String domain() {
        return domain;
    }

    String address() {
        return address;
    }

    synchronized boolean isUp() {
        return server != null;
    }

    /** Starts a new life, unless one runs. */
    synchronized void up() throws InterruptedException {
        if (server != null) {
            return;
        }
        PeerScript script = new PeerScript(temper, random);
        String[] extensions = random.nextBoolean() ? EXTENSIONS_AND_PIPELINING : EXTENSIONS;
        for (int attempt = 1; ; attempt++) {
            try {
                server = ScriptedSmtpServer.start(address, port).extensions(extensions).script(script);
                break;
            } catch (UncheckedIOException e) {
                if (attempt == BIND_ATTEMPTS) {
                    throw e;
                }
                Thread.sleep(100); // the last life's socket is still being released
            }
        }
        lives.add(server);
        scripts.add(script);
    }

    /** Ends this life: every connection is closed at once, as when a host goes away. */
    synchronized void down() {
        if (server == null) {
            return;
        }
        closeQuietly(server);
        server = null;
        inDoubtAtStops += total(scripts.get(scripts.size() - 1).inDoubt());
        stops++;
    }

    /** Recipients of the transfers in doubt now, by connection (the current life's; empty when down). */
    synchronized Map<Integer, Integer> inDoubt() {
        return server == null ? Map.of() : scripts.get(scripts.size() - 1).inDoubt();
    }

    /** Called after Outbox was killed: none of its connections is left. */
    synchronized void forgetConnections() {
        if (server != null) {
            scripts.get(scripts.size() - 1).forgetConnections();
        }
    }

    /** Every message stored in every life, life by life, each in the order stored. */
    synchronized List<Received> received() {
        List<Received> all = new ArrayList<>();
        for (ScriptedSmtpServer life : lives) {
            all.addAll(life.received());
        }
        return all;
    }

    synchronized int inDoubtAtStops() {
        return inDoubtAtStops;
    }

    synchronized int stops() {
        return stops;
    }

    synchronized int droppedRecipients() {
        return scripts.stream().mapToInt(PeerScript::droppedRecipients).sum();
    }

    /** How often {@code fault} was done, over every life. */
    synchronized long count(PeerScript.Fault fault) {
        return scripts.stream().mapToLong(script -> script.count(fault)).sum();
    }

    synchronized List<String> problems() {
        return List.copyOf(problems);
    }

    /** Ends the current life, without counting it as a stop. */
    @Override
    public synchronized void close() {
        if (server != null) {
            closeQuietly(server);
            server = null;
        }
    }

    /** The recipients in doubt over all the connections of {@code inDoubt}. */
    static int total(Map<Integer, Integer> inDoubt) {
        return inDoubt.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Connection by connection, the larger of two views of what was in doubt (just before and just after a kill). */
    static Map<Integer, Integer> union(Map<Integer, Integer> before, Map<Integer, Integer> after) {
        Map<Integer, Integer> union = new HashMap<>(before);
        after.forEach((connection, recipients) -> union.merge(connection, recipients, Math::max));
        return union;
    }

    private void closeQuietly(ScriptedSmtpServer life) {
        try {
            life.close();
        } catch (RuntimeException | AssertionError e) {
            problems.add(domain + " (" + address + ":" + port + "): " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return domain + " at " + address + ":" + port + (temper == 0 ? " (reliable)" : " (temper " + temper + ")");
    }
}
