package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.store.MemoryStore;
import dev.outbox.store.MessageStore;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One queue engine under test: a {@link MailQueue} over a store, routing every recipient to a
 * {@link ScriptedSmtpServer} through the real {@link SmtpDeliverer}, on a {@link TestClock},
 * with a {@link Wakeups} that keeps the last time asked per destination (the EJB clock replaces a
 * destination's timer), and an executor the test can hold or make refuse.
 *
 * <p>Operations: configure ({@link #policy}, {@link #smtp}, {@link #refuseFirst}, {@link #hold})
 * before {@link #start}; {@link #submit} mail; {@link #awaitIdle} until no connection is open,
 * nothing is in flight and no ready mail waits for a connection it may have; {@link #fire} the
 * pending wake-up (the clock moves to its time first) or {@link #driveUntil} a condition holds;
 * {@link #stop} and {@link #restartOnFreshServer} (a new engine over the same store, which the
 * store supplier gives again: the same MemoryStore, or a new JournalStore over the same
 * directory). {@link #close} stops everything it started, the servers included.
 *
 * <p>Threading: the test's thread drives it; the wake-up records and transitions are safe to
 * read from any thread.
 */
final class EngineFixture implements AutoCloseable {

    /** Real time allowed for any awaited condition: generous, the machine is shared. */
    static final Duration WAIT = Duration.ofSeconds(20);
    static final Instant START = Instant.parse("2027-01-04T09:00:00Z");
    static final SubmitLimits LIMITS = new SubmitLimits(16 << 20, 100);

    /** A wake-up the engine asked for: which destination, for when, and the test clock's time when it asked. */
    record Wakeup(String destination, Instant due, Instant askedAt) {
    }

    final TestClock clock = new TestClock(START);
    private final Supplier<MessageStore> stores;
    private final List<Thread> deliveryThreads = new CopyOnWriteArrayList<>();
    private final ThreadPoolExecutor threads;
    private final Map<String, Instant> pending = new ConcurrentHashMap<>();
    private final List<Wakeup> asked = new CopyOnWriteArrayList<>();
    private final List<Transition> transitions = new CopyOnWriteArrayList<>();
    private final List<ScriptedSmtpServer> servers = new ArrayList<>();
    private final AtomicInteger refusalsLeft = new AtomicInteger();
    private final List<Runnable> held = new ArrayList<>();
    private boolean holding;

    private QueuePolicy policy = policy(RetrySchedule.parse("1m").withJitter(n -> 0), 1, Duration.ofSeconds(30));
    private SmtpSettings smtp = smtpSettings(Duration.ofSeconds(5), Duration.ofSeconds(5));
    private SmtpDeliverer deliverer;
    private MessageStore store;
    private MailQueue queue;
    private boolean stopped = true;
    private int submitted;

    /** An engine over one {@link MemoryStore}, delivering to a new scripted server. */
    EngineFixture() {
        this(new MemoryStore());
    }

    private EngineFixture(MemoryStore memory) {
        this(() -> memory);
    }

    /** An engine over the store {@code stores} opens (again at each restart), delivering to a new scripted server. */
    EngineFixture(Supplier<MessageStore> stores) {
        this.stores = stores;
        AtomicInteger numbers = new AtomicInteger();
        this.threads = (ThreadPoolExecutor) Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "outbox-test-delivery-" + numbers.incrementAndGet());
            thread.setDaemon(true);
            deliveryThreads.add(thread);
            return thread;
        });
        servers.add(ScriptedSmtpServer.start());
    }

    /** A policy with a two-day age, 100 messages a connection and the default global cap. */
    static QueuePolicy policy(RetrySchedule retry, int connectionsPerDestination, Duration attemptTimeout) {
        return new QueuePolicy(retry, Duration.ofDays(2), connectionsPerDestination, 100, QueuePolicy.DEFAULT_MAX_CONNECTIONS, attemptTimeout);
    }

    /** SMTP settings with a 2 s connect timeout. */
    static SmtpSettings smtpSettings(Duration readTimeout, Duration writeTimeout) {
        return new SmtpSettings("outbox.test", Duration.ofSeconds(2), readTimeout, writeTimeout);
    }

    EngineFixture policy(QueuePolicy policy) {
        this.policy = policy;
        return this;
    }

    EngineFixture smtp(SmtpSettings smtp) {
        this.smtp = smtp;
        return this;
    }

    /** The executor refuses the next {@code count} connections with {@link RejectedExecutionException}. */
    EngineFixture refuseFirst(int count) {
        refusalsLeft.set(count);
        return this;
    }

    /** The executor keeps the connections it is given until {@link #release}: mail submitted meanwhile waits in the ready queue. */
    synchronized EngineFixture hold() {
        holding = true;
        return this;
    }

    /** Runs the connections held since {@link #hold}, and every later one at once. */
    void release() {
        List<Runnable> tasks;
        synchronized (this) {
            holding = false;
            tasks = new ArrayList<>(held);
            held.clear();
        }
        tasks.forEach(threads::execute);
    }

    /** Builds the engine over the store and the current server and starts it (recovery included). */
    MailQueue start() {
        if (deliverer == null) {
            deliverer = new SmtpDeliverer(smtp);
        }
        store = stores.get();
        NextHop hop = new NextHop(server().host(), server().port());
        pending.clear();
        queue = new MailQueue(clock, store, recipient -> hop, deliverer, this::execute, this::wakeAt, policy);
        queue.listen(transitions::add);
        stopped = false;
        queue.start();
        return queue;
    }

    /** Stops the engine with {@code graceMillis} and returns how long {@link MailQueue#stop} took, in real milliseconds. */
    long stop(long graceMillis) {
        long began = System.nanoTime();
        stopped = true;
        queue.stop(graceMillis);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    }

    /** After {@link #stop}: closes the current server, starts a fresh one, and starts a new engine over the same store. */
    MailQueue restartOnFreshServer() {
        assertTrue(stopped, "stop the engine before restarting it");
        server().close();
        servers.add(ScriptedSmtpServer.start());
        return start();
    }

    MailQueue queue() {
        return queue;
    }

    MessageStore store() {
        return store;
    }

    /** The server the engine delivers to now. */
    ScriptedSmtpServer server() {
        return servers.get(servers.size() - 1);
    }

    /** The name of the current server's transfer queue. */
    String destination() {
        return new NextHop(server().host(), server().port()).toString();
    }

    /** The current server's transfer queue. */
    TransferQueue transfer() {
        TransferQueue transfer = queue.queue(destination());
        assertNotNull(transfer, "no transfer queue for " + destination() + " yet");
        return transfer;
    }

    /** Submits a small message with {@code subject} to {@code recipients}; returns its queue id. */
    String submit(String subject, String... recipients) throws Exception {
        return submitWithBody(subject, "body\r\n", recipients);
    }

    /** Submits a message with {@code subject} and {@code body} (CRLF lines) to {@code recipients}. */
    String submitWithBody(String subject, String body, String... recipients) throws Exception {
        String content = "From: app@example.com\r\nTo: " + String.join(", ", recipients) + "\r\nSubject: " + subject
                + "\r\n\r\n" + body;
        Submission submission = Submission.of(new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII)),
                Envelope.of("app@example.com", List.of(recipients)), LIMITS, "outbox.test");
        submitted++;
        return queue.submit(submission);
    }

    /** {@code count} addresses at example.org: r00@example.org, r01@... */
    static String[] recipients(int count) {
        String[] addresses = new String[count];
        for (int i = 0; i < count; i++) {
            addresses[i] = String.format("r%02d@example.org", i);
        }
        return addresses;
    }

    /** True when no connection is open, nothing is in flight, and no ready mail waits for a connection its queue could open. */
    boolean idle() {
        if (queue.openConnections() != 0) {
            return false;
        }
        long now = clock.millis();
        for (TransferQueue transfer : queue.queues()) {
            if (transfer.activeConnections() != 0 || (transfer.readyCount() > 0 && transfer.retryAtMillis() <= now)) {
                return false;
            }
        }
        return count(RecipientState.IN_FLIGHT) == 0;
    }

    void awaitIdle() {
        Await.until(WAIT, this::idle, () -> "the queue did not become idle: " + describe());
    }

    /** Live recipients in {@code state} now. */
    int count(RecipientState state) {
        return states().getOrDefault(state, 0);
    }

    /** How many live recipients are in each state, for assertions and failure messages. */
    Map<RecipientState, Integer> states() {
        Map<RecipientState, Integer> states = new TreeMap<>();
        for (QueuedMessage message : queue.ledger.liveMessages()) {
            synchronized (message) {
                for (int i = 0; i < message.recipientCount(); i++) {
                    states.merge(message.state(i), 1, Integer::sum);
                }
            }
        }
        return states;
    }

    /** The wake-up pending for the current destination (asked for and not yet fired), or null. */
    Instant pendingWakeup() {
        return pending.get(destination());
    }

    /** Every wake-up asked for so far, in order. */
    List<Wakeup> wakeupsAsked() {
        return List.copyOf(asked);
    }

    /** Moves the clock to the pending wake-up's time (never backwards) and calls {@link MailQueue#wake}; returns that time. */
    Instant fire() {
        Instant due = pending.remove(destination()); // an EJB timer fires once; the engine asks again for the next
        assertNotNull(due, () -> "no wake-up pending for " + destination() + ": " + describe());
        long ahead = due.toEpochMilli() - clock.millis();
        if (ahead > 0) {
            clock.advance(Duration.ofMillis(ahead));
        }
        queue.wake(destination());
        return due;
    }

    /**
     * Fires the wake-ups the engine asks for, each once the queue is idle, until {@code done}
     * holds when idle; checks at each idle moment that no recipient is overdue; fails when none
     * is pending or the next is more than {@code limit} of simulated time after now. Returns how
     * many it fired.
     */
    int driveUntil(BooleanSupplier done, Duration limit) {
        long end = clock.millis() + limit.toMillis();
        int fired = 0;
        while (true) {
            int firedSoFar = fired;
            awaitIdle();
            assertEquals(0, queue.overdueRecipients(), () -> "the invariant broke after " + firedSoFar + " wake-ups: " + describe());
            if (done.getAsBoolean()) {
                return fired;
            }
            Instant next = pendingWakeup();
            if (next == null) {
                fail("not done, and no wake-up is pending after " + fired + " fired: " + describe());
            }
            if (next.toEpochMilli() > end) {
                fail("not done within " + limit + " of simulated time: the next wake-up is at " + next + "; " + describe());
            }
            fire();
            fired++;
        }
    }

    /** Every recipient transition the engine told its listeners, in order. */
    List<Transition> transitions() {
        return List.copyOf(transitions);
    }

    /** How many times each recipient reached DELIVERED in the engine's transitions. */
    Map<String, Integer> deliveredTransitions() {
        Map<String, Integer> delivered = new TreeMap<>();
        for (Transition transition : transitions) {
            if (transition.to() == RecipientState.DELIVERED) {
                delivered.merge(transition.messageId() + " " + transition.recipient(), 1, Integer::sum);
            }
        }
        return delivered;
    }

    /** How many acknowledged deliveries each recipient got in {@code received}. */
    static Map<String, Integer> perRecipient(List<Received> received) {
        return tally(received, Received::recipients);
    }

    /** How many acknowledged deliveries each Subject got in {@code received}. */
    static Map<String, Integer> perSubject(List<Received> received) {
        return tally(received, message -> List.of(message.header("Subject").orElse("?")));
    }

    private static Map<String, Integer> tally(List<Received> received, Function<Received, List<String>> keys) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Received message : received) {
            if (message.acknowledged()) {
                keys.apply(message).forEach(key -> counts.merge(key, 1, Integer::sum));
            }
        }
        return counts;
    }

    /** Asserts that each of {@code keys} occurs exactly once in {@code counts}, and nothing else does. */
    static void assertEachOnce(List<String> keys, Map<String, Integer> counts) {
        Map<String, Integer> expected = new TreeMap<>();
        keys.forEach(key -> expected.put(key, 1));
        assertEquals(expected, counts, "each delivered exactly once");
    }

    /** True when some delivery thread is inside the SMTP session or Angus now: a connection still doing I/O. */
    boolean deliveryThreadInSmtp() {
        for (Thread thread : deliveryThreads) {
            for (StackTraceElement frame : thread.getStackTrace()) {
                String name = frame.getClassName();
                if (name.startsWith("dev.outbox.delivery.") || name.startsWith("org.eclipse.angus.")) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Delivery threads running a connection now. */
    int busyDeliveryThreads() {
        return threads.getActiveCount();
    }

    /** The queue and the server in one line, for failure messages. */
    String describe() {
        StringBuilder text = new StringBuilder();
        text.append("clock ").append(clock.instant()).append(", open connections ").append(queue.openConnections())
                .append(", live recipients ").append(states()).append(", delivered ").append(queue.deliveredCount())
                .append(", deferred ").append(queue.deferredCount()).append(", stuck recovered ").append(queue.stuckRecovered())
                .append(", submitted ").append(submitted);
        for (TransferQueue transfer : queue.queues()) {
            text.append("; queue ").append(transfer.name()).append(' ').append(transfer.state(clock.millis()))
                    .append(" ready ").append(transfer.readyCount()).append(" scheduled ").append(transfer.scheduledCount())
                    .append(" active ").append(transfer.activeConnections()).append(" armed ")
                    .append(transfer.armedAtMillis() == Long.MAX_VALUE ? "never" : Instant.ofEpochMilli(transfer.armedAtMillis()))
                    .append(" last error \"").append(transfer.lastError()).append('"');
        }
        text.append("; pending wake-ups ").append(pending).append("; server ").append(server());
        List<String> lines = server().transcript();
        text.append(", transcript tail ").append(lines.subList(Math.max(0, lines.size() - 12), lines.size()));
        return text.toString();
    }

    /**
     * Stops the engine if running, then the deliverer's timer and the delivery threads, and
     * closes every server before waiting for those threads: a thread a bug left talking to a
     * server ends when the server closes.
     */
    @Override
    public void close() {
        try {
            if (queue != null && !stopped) {
                stop(5_000);
            }
        } finally {
            if (deliverer != null) {
                deliverer.close();
            }
            release();
            threads.shutdownNow();
            try {
                servers.forEach(ScriptedSmtpServer::close);
            } finally {
                try {
                    threads.awaitTermination(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private void execute(Runnable task) {
        if (refusalsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new RejectedExecutionException("refused by the test (" + refusalsLeft.get() + " more to refuse)");
        }
        synchronized (this) {
            if (holding) {
                held.add(task);
                return;
            }
        }
        threads.execute(task);
    }

    private boolean wakeAt(String destination, Instant due) {
        asked.add(new Wakeup(destination, due, clock.instant()));
        pending.put(destination, due);
        return true;
    }
}
