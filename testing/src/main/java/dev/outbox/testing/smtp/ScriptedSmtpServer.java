package dev.outbox.testing.smtp;

import dev.outbox.testing.Await;
import dev.outbox.testing.ServerThreads;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A real SMTP server on a loopback socket whose answers a test scripts, to put faults in front
 * of an SMTP client (Angus's SMTPTransport): refused recipients, lost replies, silence, a
 * closed window, a reset. It owns its listening socket, one daemon thread per connection
 * (named "scripted-smtp-PORT-..."), the script, and the records of what clients did.
 *
 * <p>Unscripted, it is a correct and permissive server: greeting "220 scripted ESMTP"; EHLO
 * answered 250 with {@link #extensions(String...)} (by default 8BITMIME, SIZE 104857600,
 * ENHANCEDSTATUSCODES; never CHUNKING, which it does not implement; PIPELINING only when a test
 * lists it, and then pipelined commands are answered in order, as it reads line by line); HELO, MAIL,
 * RCPT, RSET and NOOP 250; DATA 354; the final dot 250 with a queue id; QUIT 221, then close;
 * anything else 500. Out of order it answers 503 (RCPT before MAIL, a second MAIL) or 554
 * (DATA with no recipient). The data phase ends at CRLF.CRLF and is stored un-dot-stuffed;
 * lines are read as bytes, so 8-bit content arrives intact. STARTTLS and AUTH are unknown
 * commands (500) until configured:
 *
 * <ul>
 * <li>{@link #starttls(SSLContext)}: EHLO offers STARTTLS (until TLS is active), which is
 *     answered 220 and the handshake done with that context as the server; the transcript then
 *     says "S: &lt;TLS protocol cipher&gt;", or "S: &lt;TLS handshake failed: ...&gt;" and the
 *     connection ends. A context with no key (initialised with no key managers) fails every
 *     handshake. A scripted 220 (or any reply) to STARTTLS follows the usual rule: state follows
 *     the reply code.</li>
 * <li>{@link #auth(String, String)}: EHLO offers "AUTH PLAIN LOGIN"; AUTH with exactly those
 *     credentials is answered 235, any others 535. The transcript shows neither the AUTH
 *     argument nor the responses to its challenges.</li>
 * </ul>
 *
 * <ul>
 * <li>{@link #start()} listens on 127.0.0.1 on a free port, {@link #start(String, int)} where
 *     told (SO_REUSEADDR on, so a fixed port can be taken again at once). Both listen with a
 *     4 KiB receive buffer, which accepted sockets inherit: a client facing
 *     {@link Reaction#stopReading()} blocks after a few hundred KiB at most.</li>
 * <li>{@link #script(Rule)} adds a rule; for each exchange the rules are tried in the order
 *     added and the first non-null reaction wins, else the default answer. Script before the
 *     client connects; rules added later apply from the next exchange.</li>
 * <li>{@link #received()}, {@link #transcript()}, {@link #count(Command)},
 *     {@link #connectionsAccepted()}, {@link #openConnections()}: what happened so far,
 *     consistent per call, from any thread. A message counts as received when the server
 *     answered 250 to its dot ({@link Received#acknowledged()}) or stored it for
 *     {@link Reaction#acceptThenClose()} (not acknowledged).</li>
 * <li>{@link #awaitReceived(int, Duration)}, {@link #awaitOpenConnections(int, Duration)}:
 *     wait for those with {@link Await}, failing with what did happen.</li>
 * <li>{@link #close()} closes the listener and every connection (also those silent, not
 *     reading or delaying), waits a bounded time for every thread it started to end, and
 *     throws when one has not, or when a rule threw or a reaction was misused during the run:
 *     those happen on the server's threads, where the test would not see them.</li>
 * </ul>
 *
 * <p>Threading: everything public may be called from any thread. Rules run on the connection
 * threads, possibly at once.
 *
 * <p>Misuse: a port that cannot be bound throws {@link UncheckedIOException} naming it;
 * {@link #script(Rule)} after {@link #close()} throws {@link IllegalStateException}.
 */
public final class ScriptedSmtpServer implements AutoCloseable {

    private static final List<String> DEFAULT_EXTENSIONS = List.of("8BITMIME", "SIZE 104857600", "ENHANCEDSTATUSCODES");
    /** Small, so a client writing to a connection that stops reading blocks early. */
    private static final int RECEIVE_BUFFER_BYTES = 4096;
    private static final Duration JOIN_BOUND = Duration.ofSeconds(5);
    private static final int TRANSCRIPT_TAIL = 20;

    private final String host;
    private final ServerSocket listener;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final CountDownLatch closing = new CountDownLatch(1);

    private final List<Rule> rules = new CopyOnWriteArrayList<>();
    private volatile List<String> extensions = DEFAULT_EXTENSIONS;
    private volatile SSLContext tlsContext;
    private volatile Credentials credentials;

    /** Open connections and their threads; guarded by itself, with the check of {@link #closed}. */
    private final Map<Connection, Thread> connections = new LinkedHashMap<>();
    private final ServerThreads threads;
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicInteger queueIds = new AtomicInteger();
    /**
     * Appended to under their own locks and copied only when read: a list that copies itself on
     * every write made a run of thousands of messages (a benchmark's) quadratic in its length.
     */
    private final List<Received> received = new ArrayList<>();
    private final List<String> transcript = new ArrayList<>();
    private final AtomicIntegerArray counts = new AtomicIntegerArray(Command.values().length);

    private ScriptedSmtpServer(String host, ServerSocket listener) {
        this.host = host;
        this.listener = listener;
        this.threads = new ServerThreads("the SMTP server on port " + listener.getLocalPort());
        threads.start("scripted-smtp-" + listener.getLocalPort() + "-accept", this::acceptLoop);
    }

    /** A server on 127.0.0.1 and a port the system picks. */
    public static ScriptedSmtpServer start() {
        return start("127.0.0.1", 0);
    }

    /** A server on {@code host}:{@code port} (0 for a free one). */
    public static ScriptedSmtpServer start(String host, int port) {
        ServerSocket listener = null;
        try {
            listener = new ServerSocket();
            listener.setReuseAddress(true);
            listener.setReceiveBufferSize(RECEIVE_BUFFER_BYTES); // before bind, so accepted sockets get it from the start
            listener.bind(new InetSocketAddress(host, port), 50);
            return new ScriptedSmtpServer(host, listener);
        } catch (IOException e) {
            if (listener != null) {
                try {
                    listener.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new UncheckedIOException("cannot listen for SMTP on " + host + ":" + port, e);
        }
    }

    public String host() {
        return host;
    }

    public int port() {
        return listener.getLocalPort();
    }

    /** The EHLO extensions from the next EHLO on, one keyword (and parameters) each. */
    public ScriptedSmtpServer extensions(String... keywords) {
        extensions = List.of(keywords);
        return this;
    }

    /** Offers STARTTLS from the next EHLO on, and does TLS as the server with {@code context}. */
    public ScriptedSmtpServer starttls(SSLContext context) {
        tlsContext = Objects.requireNonNull(context, "context");
        return this;
    }

    /** Offers AUTH PLAIN LOGIN from the next EHLO on, and accepts exactly these credentials. */
    public ScriptedSmtpServer auth(String username, String password) {
        credentials = new Credentials(Objects.requireNonNull(username, "username"), Objects.requireNonNull(password, "password"));
        return this;
    }

    /** Adds {@code rule} after the rules already in the script. */
    public ScriptedSmtpServer script(Rule rule) {
        Objects.requireNonNull(rule, "rule");
        if (closed.get()) {
            throw new IllegalStateException("server on port " + port() + " is closed; scripting it changes nothing");
        }
        rules.add(rule);
        return this;
    }

    /** Messages stored so far, in the order their dots were answered (or acceptThenClose'd). */
    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** Every line so far, as "N C: line" or "N S: line" for connection N; data as one line with its size. */
    public List<String> transcript() {
        synchronized (transcript) {
            return List.copyOf(transcript);
        }
    }

    /** How many times the server has had to answer {@code command} (CONNECT: connections greeted or not). */
    public int count(Command command) {
        return counts.get(command.ordinal());
    }

    public int connectionsAccepted() {
        return accepted.get();
    }

    /** Connections whose session has not ended (a stopReading one ends only with {@link #close()}). */
    public int openConnections() {
        synchronized (connections) {
            return connections.size();
        }
    }

    /** Waits until at least {@code count} messages are stored and returns them all; fails with what arrived. */
    public List<Received> awaitReceived(int count, Duration deadline) {
        Await.until(deadline, () -> messagesAccepted() >= count,
                () -> "expected " + count + " messages on port " + port() + ", received " + received() + describeRun());
        return received();
    }

    /** Waits until exactly {@code count} connections are open. */
    public void awaitOpenConnections(int count, Duration deadline) {
        Await.until(deadline, () -> openConnections() == count,
                () -> "expected " + count + " open connections on port " + port() + ", have " + openConnections() + describeRun());
    }

    /**
     * Closes the listener and every connection, and waits up to five seconds in all for the
     * threads it started to end. Throws {@link IllegalStateException} naming threads that did
     * not, or {@link AssertionError} when a rule failed during the run. A second call does
     * nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        closing.countDown();
        try {
            listener.close();
        } catch (IOException e) {
            problem(new AssertionError("closing the listener on port " + port(), e));
        }
        List<Connection> open;
        synchronized (connections) {
            open = new ArrayList<>(connections.keySet());
        }
        open.forEach(Connection::abort);
        threads.join(JOIN_BOUND);
    }

    @Override
    public String toString() {
        return "ScriptedSmtpServer[" + host + ":" + port() + ", " + connectionsAccepted() + " connections, " + messagesAccepted() + " messages]";
    }

    private void acceptLoop() {
        while (!closed.get()) {
            Socket socket;
            try {
                socket = listener.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    problem(new AssertionError("accept failed on port " + port(), e));
                }
                return;
            }
            Connection connection = new Connection(this, socket, accepted.incrementAndGet());
            synchronized (connections) {
                if (closed.get()) {
                    connection.abort(); // close() has already taken its list of connections
                    return;
                }
                connections.put(connection, threads.start("scripted-smtp-" + port() + "-connection-" + connection.number(), connection));
            }
        }
    }

    // What connections call, from their own threads.

    Reaction reactionTo(Exchange exchange) {
        for (Rule rule : rules) {
            try {
                Reaction reaction = rule.react(exchange);
                if (reaction != null) {
                    return reaction;
                }
            } catch (RuntimeException | Error e) {
                problem(new AssertionError("rule " + rule + " threw " + e + " on " + exchange + "; the connection was reset", e));
                return Reaction.reset();
            }
        }
        return Reaction.proceed();
    }

    List<String> extensions() {
        return extensions;
    }

    SSLContext tlsContext() {
        return tlsContext;
    }

    Credentials credentials() {
        return credentials;
    }

    /** What AUTH accepts; never printed. */
    record Credentials(String username, String password) {
        @Override
        public String toString() {
            return "Credentials[" + username + ", ****]";
        }
    }

    int messagesAccepted() {
        synchronized (received) {
            return received.size();
        }
    }

    int nextQueueId() {
        return queueIds.incrementAndGet();
    }

    void store(Received message) {
        synchronized (received) {
            received.add(message);
        }
    }

    void heard(int connection, String line) {
        String entry = connection + " " + line;
        synchronized (transcript) {
            transcript.add(entry);
        }
    }

    void counted(Command command) {
        counts.incrementAndGet(command.ordinal());
    }

    void problem(Throwable problem) {
        threads.problem(problem);
    }

    /** Waits until the server closes, at most {@code bound} (null: no bound); true when it has closed. */
    boolean awaitClose(Duration bound) {
        try {
            if (bound == null) {
                closing.await();
                return true;
            }
            return closing.await(bound.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return true; // nothing interrupts these threads but a close
        }
    }

    void ended(Connection connection) {
        synchronized (connections) {
            connections.remove(connection);
        }
    }

    private String describeRun() {
        List<String> lines = transcript();
        String tail = String.join("\n  ", lines.subList(Math.max(0, lines.size() - TRANSCRIPT_TAIL), lines.size()));
        List<Throwable> problems = threads.problems();
        return (problems.isEmpty() ? "" : "; script failures: " + problems)
                + "; last lines of the transcript:\n  " + tail;
    }
}
