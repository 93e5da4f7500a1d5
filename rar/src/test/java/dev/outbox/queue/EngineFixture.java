package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.dsn.DeliveryStatusNotice;
import dev.outbox.dsn.DsnComposer;
import dev.outbox.store.MemoryStore;
import dev.outbox.store.MessageStore;
import dev.outbox.routing.DnsServer;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestClock;
import dev.outbox.testing.dns.TestDns;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * One queue engine under test: a {@link MailQueue} over a store, on a {@link TestClock},
 * delivering with the real {@link SmtpDeliverer} to {@link ScriptedSmtpServer}s it starts, on a
 * thread pool of its own; with the EJB clock's semantics for wake-ups (one pending per
 * destination, a new request replaces it, none fires unless the test fires it) and every
 * recipient transition recorded.
 *
 * <p>Operations: configure before {@link #start}: {@link #policy}, {@link #smtp}, {@link #routeByMx},
 * {@link #notices} (delivery status notices to {@link #SENDER}, written by the real {@link DsnComposer}),
 * {@link #wrapDeliverer} (a fault at the {@link Deliverer} seam), the executor:
 * {@link #refuseFirst}, {@link #hold} or {@link #holdConnection} until {@link #release},
 * {@link #wrapExecutor}; {@link #wrapClock} (a hook where the engine reads the time) and
 * {@link #wrapWakeups} (a fault at the retry clock). Mail goes to {@link #server()}, or to {@link #server(String)} for the
 * recipients of that domain. {@link #submit} mail ({@link #submitFrom} with another reverse path); {@link #await} a condition or
 * {@link #awaitIdle}; {@link #fire} a destination's pending wake-up (the clock moves to its time
 * first) or {@link #driveUntil} a condition holds; {@link #stop}; {@link #restart} a new engine
 * over the same store (the store supplier gives it again: the same MemoryStore, or a new
 * JournalStore over the same directory), or {@link #restartOnFreshServer}. Read the state with
 * {@link #transfer}, {@link #states}, {@link #lastState}, {@link #transitions},
 * {@link #wakeupsAsked}, {@link #threadsInSmtp}; {@link #describe} it for failure messages.
 * {@link #close} closes the servers first (which ends any connection a script holds), then stops
 * the engine and its threads, and fails when a delivery thread outlives it or a script failed.
 *
 * <p>Threading: the test's thread drives it; the records are safe to read from any thread.
 * Misuse: what is configured after {@link #start} applies from the next start, except the
 * deliverer's wrapper and settings, which apply only before the first. The test moves the time
 * with {@link #clock} even when the engine reads it through a wrapper.
 */
final class EngineFixture implements AutoCloseable {

    /** Real time allowed for any awaited condition: generous, the machine is shared. */
    static final Duration WAIT = Duration.ofSeconds(30);
    /** The grace {@link #restart} and {@link #close} give a running engine's connections. */
    static final Duration STOP_GRACE = Duration.ofSeconds(2);
    static final Instant START = Instant.parse("2027-01-04T09:00:00Z");
    /** The reverse path of {@link #mail}: where notices go (to {@link #server(String)} of "example.com", when a test starts one). */
    static final String SENDER = "app@example.com";
    /** The reporting MTA that {@link #notices} writes into every notice: the engine's EHLO name. */
    static final String REPORTING_MTA = "outbox.test";
    private static final SubmitLimits LIMITS = new SubmitLimits(16 << 20, 100);

    /** A wake-up the engine asked for. */
    record Wakeup(String destination, Instant due) {
    }

    final TestClock clock = new TestClock(START);
    private final Supplier<MessageStore> stores;
    private final List<Thread> deliveryThreads = new CopyOnWriteArrayList<>();
    private final ThreadPoolExecutor threads;
    private final Map<String, Instant> pending = new ConcurrentHashMap<>();
    private final List<Wakeup> asked = new CopyOnWriteArrayList<>();
    private final List<Transition> transitions = new CopyOnWriteArrayList<>();
    /** The default server last; those it replaced before it. */
    private final List<ScriptedSmtpServer> defaultServers = new CopyOnWriteArrayList<>();
    private final Map<String, ScriptedSmtpServer> domainServers = new ConcurrentHashMap<>();
    private final AtomicInteger executions = new AtomicInteger();
    private final AtomicInteger refusalsLeft = new AtomicInteger();
    private final List<Runnable> held = new ArrayList<>();
    private boolean holdingAll;
    private int heldExecution;

    private QueuePolicy policy = policy("1m", 1, 100, QueuePolicy.DEFAULT_MAX_CONNECTIONS, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT);
    private SmtpSettings smtp = smtpSettings(Duration.ofSeconds(5), Duration.ofSeconds(5));
    private UnaryOperator<Deliverer> deliveryFault = UnaryOperator.identity();
    /** Set by {@link #notices}: the engine sends notices, delay notices this long after submit (zero: none); null sends none. */
    private Duration delayNoticeAfter;
    private boolean awaitingClock;
    private Executor executor = this::execute;
    private Clock engineClock = clock;
    private Wakeups wakeups = this::wakeAt;
    private SmtpDeliverer realDeliverer;
    /** Set by {@link #routeByMx}: each recipient's domain is its destination, resolved through this DNS server. */
    private TestDns dns;
    private int mxPort;
    private Deliverer deliverer;
    private MessageStore store;
    private MailQueue queue;
    private int submitted;

    /** An engine over one {@link MemoryStore}. */
    EngineFixture() {
        this(new MemoryStore());
    }

    private EngineFixture(MemoryStore memory) {
        this(() -> memory);
    }

    /** An engine over the store {@code stores} opens (again at each restart). */
    EngineFixture(Supplier<MessageStore> stores) {
        this.stores = stores;
        AtomicInteger numbers = new AtomicInteger();
        this.threads = (ThreadPoolExecutor) Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "outbox-test-delivery-" + numbers.incrementAndGet());
            thread.setDaemon(true);
            deliveryThreads.add(thread);
            return thread;
        });
    }

    /** A policy whose retry schedule is {@code retry} without jitter, for messages that live two days. */
    static QueuePolicy policy(String retry, int perDestination, int messagesPerConnection, int maxConnections, Duration attemptTimeout) {
        return policy(RetrySchedule.parse(retry).withJitter(bound -> 0), perDestination, messagesPerConnection, maxConnections,
                attemptTimeout);
    }

    /** A policy for messages that live two days. */
    static QueuePolicy policy(RetrySchedule retry, int perDestination, int messagesPerConnection, int maxConnections,
                              Duration attemptTimeout) {
        return new QueuePolicy(retry, Duration.ofDays(2), perDestination, messagesPerConnection, maxConnections, attemptTimeout);
    }

    /** SMTP settings with a 2 s connect timeout. */
    static SmtpSettings smtpSettings(Duration readTimeout, Duration writeTimeout) {
        return new SmtpSettings(REPORTING_MTA, Duration.ofSeconds(2), readTimeout, writeTimeout);
    }

    /**
     * The policy of the engines started from now on; by default retry "1m" without jitter, one
     * connection a destination, 100 messages a connection, and the adapter's defaults for the
     * global cap and the attempt timeout.
     */
    EngineFixture policy(QueuePolicy policy) {
        this.policy = policy;
        return this;
    }

    /** The SMTP settings; by default 5 s to read and to write. */
    EngineFixture smtp(SmtpSettings smtp) {
        this.smtp = smtp;
        return this;
    }

    /**
     * Routes as Outbox does with no smarthost: each recipient's domain is its destination, its MX
     * hosts resolved through {@code dns} (nothing cached, so a test may change the records), and
     * MX hosts reached on {@code mxPort}.
     */
    EngineFixture routeByMx(TestDns dns, int mxPort) {
        this.dns = dns;
        this.mxPort = mxPort;
        return this;
    }

    /**
     * Sends senders delivery status notices, as the adapter does: bounces, and a delay notice
     * {@code delayNoticeAfter} after submit (zero for none), written by {@link DsnComposer} for
     * reporting MTA {@link #REPORTING_MTA}, returning the original's header.
     */
    EngineFixture notices(Duration delayNoticeAfter) {
        this.delayNoticeAfter = delayNoticeAfter;
        return this;
    }

    /** The engines started from now on deliver nothing until {@code MailQueue.clockWorks()}, as the adapter's. */
    EngineFixture awaitingClock() {
        this.awaitingClock = true;
        return this;
    }

    /** Wraps the real deliverer in a fault of the test's. */
    EngineFixture wrapDeliverer(UnaryOperator<Deliverer> fault) {
        this.deliveryFault = fault;
        return this;
    }

    /** Wraps the executor (whose refusals and holds still apply beneath the wrapper) in a fault of the test's. */
    EngineFixture wrapExecutor(UnaryOperator<Executor> fault) {
        this.executor = fault.apply(this::execute);
        return this;
    }

    /**
     * The engine reads the time through a wrapper of the test's around {@link #clock} (for a hook
     * at a read the engine makes); the test still sets the time with {@link #clock}.
     */
    EngineFixture wrapClock(UnaryOperator<Clock> reads) {
        this.engineClock = reads.apply(clock);
        return this;
    }

    /**
     * Wraps the retry clock, whose semantics and record ({@link #pendingWakeup},
     * {@link #wakeupsAsked}) still apply beneath the wrapper, in a fault of the test's.
     */
    EngineFixture wrapWakeups(UnaryOperator<Wakeups> fault) {
        this.wakeups = fault.apply(this::wakeAt);
        return this;
    }

    /** The executor refuses the next {@code count} connections with {@link RejectedExecutionException}. */
    EngineFixture refuseFirst(int count) {
        refusalsLeft.set(count);
        return this;
    }

    /** The executor keeps the connections it is given until {@link #release}: mail submitted meanwhile waits in the ready queue. */
    synchronized EngineFixture hold() {
        holdingAll = true;
        return this;
    }

    /** The executor keeps the {@code n}th connection it is given (counted from 1 over the fixture's life) until {@link #release}. */
    synchronized EngineFixture holdConnection(int n) {
        heldExecution = n;
        return this;
    }

    /** Runs the connections held so far, and every later one at once. */
    void release() {
        List<Runnable> tasks;
        synchronized (this) {
            holdingAll = false;
            heldExecution = 0;
            tasks = new ArrayList<>(held);
            held.clear();
        }
        tasks.forEach(threads::execute);
    }

    /** The server mail goes to unless its domain has one of its own; started when first asked for. */
    synchronized ScriptedSmtpServer server() {
        if (defaultServers.isEmpty()) {
            defaultServers.add(ScriptedSmtpServer.start());
        }
        return defaultServers.get(defaultServers.size() - 1);
    }

    /** The server of the recipients at {@code domain}; started when first asked for. */
    ScriptedSmtpServer server(String domain) {
        return domainServers.computeIfAbsent(domain, name -> ScriptedSmtpServer.start());
    }

    /** Builds the engine over the store and starts it (recovery included). */
    MailQueue start() {
        if (deliverer == null) {
            realDeliverer = dns == null ? new SmtpDeliverer(smtp)
                    : new SmtpDeliverer(smtp, new MxResolver(DnsSettings.defaults().withServers(List.of(DnsServer.parse(dns.server())))
                            .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(2))
                            .withCache(100, Duration.ZERO, Duration.ZERO)), mxPort);
            deliverer = deliveryFault.apply(realDeliverer);
        }
        store = stores.get();
        pending.clear(); // the old engine's timers went with it
        queue = new MailQueue(engineClock, store, dns == null ? this::route : Destination::ofRecipient, deliverer, executor, wakeups, policy);
        if (delayNoticeAfter != null) {
            queue.notifySenders(new DsnComposer(new DeliveryStatusNotice(REPORTING_MTA), DeliveryStatusNotice.Return.HEADERS),
                    delayNoticeAfter);
        }
        queue.listen(transitions::add);
        if (awaitingClock) {
            queue.awaitClock();
        }
        queue.start();
        return queue;
    }

    /** {@link #policy(QueuePolicy)}, then {@link #start()}. */
    MailQueue start(QueuePolicy policy) {
        return policy(policy).start();
    }

    /** Stops the engine with {@code graceMillis} and returns how long {@link MailQueue#stop} took, in real milliseconds. */
    long stop(long graceMillis) {
        long began = System.nanoTime();
        queue.stop(graceMillis);
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    }

    /** As a server restart: stops the engine if it runs (grace {@link #STOP_GRACE}) and starts a new one over the same store. */
    MailQueue restart() {
        if (!queue.stopping) {
            stop(STOP_GRACE.toMillis());
        }
        return start();
    }

    /** After {@link #stop}: closes the default server, starts a fresh one, and starts a new engine over the same store. */
    MailQueue restartOnFreshServer() {
        assertTrue(queue.stopping, "stop the engine before restarting it");
        server().close();
        defaultServers.add(ScriptedSmtpServer.start());
        return start();
    }

    MailQueue queue() {
        return queue;
    }

    MessageStore store() {
        return store;
    }

    /** The store as the {@link MemoryStore} it is by default, for its faults and call counts. */
    MemoryStore memoryStore() {
        if (store instanceof MemoryStore memory) {
            return memory;
        }
        throw new AssertionError("this engine runs on " + store + ", not a MemoryStore");
    }

    /** The name of {@code server}'s transfer queue. */
    static String destination(ScriptedSmtpServer server) {
        return hop(server).toString();
    }

    private static NextHop hop(ScriptedSmtpServer server) {
        return new NextHop(server.host(), server.port());
    }

    /** The default server's transfer queue, which must exist. */
    TransferQueue transfer() {
        return transfer(server());
    }

    /** {@code server}'s transfer queue, which must exist. */
    TransferQueue transfer(ScriptedSmtpServer server) {
        TransferQueue transfer = queue.queue(destination(server));
        assertNotNull(transfer, () -> "no transfer queue for " + destination(server) + "; have "
                + queue.queues().stream().map(TransferQueue::name).toList());
        return transfer;
    }

    /** A message from {@link #SENDER} to {@code recipients} with {@code subject} and a one-line body. */
    static Submission mail(String subject, String... recipients) {
        return mail(SENDER, subject, "body of " + subject + "\r\n", recipients);
    }

    private static Submission mail(String reversePath, String subject, String body, String... recipients) {
        String content = "From: " + SENDER + "\r\nTo: " + String.join(", ", recipients) + "\r\nSubject: " + subject
                + "\r\n\r\n" + body;
        try {
            return Submission.of(new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII)),
                    Envelope.of(reversePath, List.of(recipients)), LIMITS, "outbox.test");
        } catch (Exception e) {
            throw new AssertionError("cannot build test mail " + subject, e);
        }
    }

    /** Submits {@link #mail} and returns its queue id. */
    String submit(String subject, String... recipients) {
        return submit(mail(subject, recipients));
    }

    /** Submits a message with {@code subject} and {@code body} (CRLF lines) to {@code recipients}; returns its queue id. */
    String submitWithBody(String subject, String body, String... recipients) {
        return submit(mail(SENDER, subject, body, recipients));
    }

    /** Submits {@link #mail} with the envelope's reverse path {@code reversePath} ("" for the null reverse path); returns its queue id. */
    String submitFrom(String reversePath, String subject, String... recipients) {
        return submit(mail(reversePath, subject, "body of " + subject + "\r\n", recipients));
    }

    /** Submits {@code submission} (one of {@link #mail}, so a test can compare with what it sent); returns its queue id. */
    String submit(Submission submission) {
        submitted++;
        try {
            return queue.submit(submission);
        } catch (Exception e) {
            throw new AssertionError("submit refused: " + describe(), e);
        }
    }

    /** {@code count} addresses at example.org: r00@example.org, r01@... */
    static String[] recipients(int count) {
        String[] addresses = new String[count];
        for (int i = 0; i < count; i++) {
            addresses[i] = String.format("r%02d@example.org", i);
        }
        return addresses;
    }

    /** Waits up to {@link #WAIT} for {@code condition}; else fails with {@code what} and {@link #describe}. */
    void await(BooleanSupplier condition, String what) {
        await(condition, () -> what);
    }

    void await(BooleanSupplier condition, Supplier<String> what) {
        Await.until(WAIT, condition, () -> what.get() + "; " + describe());
    }

    /** True when no connection is open, nothing is in flight, and no ready mail waits for a connection its queue could open (a frozen queue opens none). */
    boolean idle() {
        if (queue.openConnections() != 0) {
            return false;
        }
        long now = clock.millis();
        for (TransferQueue transfer : queue.queues()) {
            if (transfer.activeConnections() != 0 || (transfer.readyCount() > 0 && transfer.retryAtMillis() <= now && !transfer.frozen())) {
                return false;
            }
        }
        return count(RecipientState.IN_FLIGHT) == 0;
    }

    void awaitIdle() {
        await(this::idle, "the queue did not become idle");
    }

    /** Live recipients in {@code state} now. */
    int count(RecipientState state) {
        return states().getOrDefault(state, 0);
    }

    /** How many live recipients are in each state. */
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

    /** The wake-up pending for the default server's queue (asked for and not yet fired), or null. */
    Instant pendingWakeup() {
        return pendingWakeup(server());
    }

    /** The wake-up pending for {@code server}'s queue, or null. */
    Instant pendingWakeup(ScriptedSmtpServer server) {
        return pending.get(destination(server));
    }

    /** Every wake-up asked for so far, in order. */
    List<Wakeup> wakeupsAsked() {
        return List.copyOf(asked);
    }

    /** {@link #fire(ScriptedSmtpServer)} for the default server. */
    Instant fire() {
        return fire(server());
    }

    /** Moves the clock to the pending wake-up of {@code server}'s queue (never backwards) and wakes it, as the EJB timer would; returns that time. */
    Instant fire(ScriptedSmtpServer server) {
        return fire(destination(server));
    }

    /** {@link #fire(ScriptedSmtpServer)} for the queue named {@code destination}. */
    Instant fire(String destination) {
        Instant due = pending.remove(destination); // an EJB timer fires once; the engine asks again for the next
        assertNotNull(due, () -> "no wake-up pending for " + destination + ": " + describe());
        long ahead = due.toEpochMilli() - clock.millis();
        if (ahead > 0) {
            clock.advance(Duration.ofMillis(ahead));
        }
        queue.wake(destination);
        return due;
    }

    /**
     * Fires the default server's wake-ups, each once the queue is idle, until {@code done}
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

    /**
     * Lets the retry clock run, as the EJB timers and the sweep would, until nothing is left QUEUED
     * or DEFERRED (at most four turns): each turn fires the pending wake-up, or else moves the clock
     * 10 s and sweeps, then waits until no attempt is in flight and no connection open.
     */
    void settleRetries() {
        awaitSettled();
        for (int i = 0; i < 4 && (count(RecipientState.QUEUED) + count(RecipientState.DEFERRED)) > 0; i++) {
            if (pendingWakeup() != null) {
                fire();
            } else {
                clock.advance(Duration.ofSeconds(10));
                queue.sweep();
            }
            awaitSettled();
        }
    }

    private void awaitSettled() {
        await(() -> count(RecipientState.IN_FLIGHT) == 0 && threadsInSmtp().isEmpty() && queue.openConnections() == 0, "settled");
    }

    /** Every recipient transition the engine told its listeners, in order. */
    List<Transition> transitions() {
        return List.copyOf(transitions);
    }

    /** The state {@code recipient} of message {@code id} entered last, or QUEUED when it has not moved yet. */
    RecipientState lastState(String id, String recipient) {
        RecipientState state = RecipientState.QUEUED;
        for (Transition transition : transitions) {
            if (transition.messageId().equals(id) && transition.recipient().equals(recipient)) {
                state = transition.to();
            }
        }
        return state;
    }

    /** How many times {@code recipient} of {@code id} entered {@code state}. */
    long entered(String id, String recipient, RecipientState state) {
        return transitions.stream()
                .filter(t -> t.messageId().equals(id) && t.recipient().equals(recipient) && t.to() == state)
                .count();
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

    /** The delivery threads inside the SMTP session or Angus now (connections still doing I/O), each with its frame. */
    List<String> threadsInSmtp() {
        List<String> busy = new ArrayList<>();
        for (Thread thread : deliveryThreads) {
            for (StackTraceElement frame : thread.getStackTrace()) {
                String name = frame.getClassName();
                if (name.startsWith("dev.outbox.delivery.") || name.startsWith("org.eclipse.angus.")) {
                    busy.add(thread.getName() + " in " + frame);
                    break;
                }
            }
        }
        return busy;
    }

    /** Delivery threads running a connection now. */
    int busyDeliveryThreads() {
        return threads.getActiveCount();
    }

    /** The engine, its queues, wake-ups, servers and last transitions in one line, for failure messages. */
    String describe() {
        StringBuilder text = new StringBuilder("clock ").append(clock.instant());
        if (queue != null) {
            text.append(", open connections ").append(queue.openConnections()).append(", live recipients ").append(states())
                    .append(", delivered ").append(queue.deliveredCount()).append(", deferred ").append(queue.deferredCount())
                    .append(", stuck recovered ").append(queue.stuckRecovered()).append(", submitted ").append(submitted);
            for (TransferQueue transfer : queue.queues()) {
                text.append("; queue ").append(transfer.name()).append(' ').append(transfer.state(clock.millis()))
                        .append(" ready ").append(transfer.readyCount()).append(" scheduled ").append(transfer.scheduledCount())
                        .append(" active ").append(transfer.activeConnections())
                        .append(" retryAt ").append(transfer.retryAtMillis() == 0 ? "-" : Instant.ofEpochMilli(transfer.retryAtMillis()))
                        .append(" armed ").append(transfer.armedAtMillis() == Long.MAX_VALUE ? "never" : Instant.ofEpochMilli(transfer.armedAtMillis()))
                        .append(" last error \"").append(transfer.lastError()).append('"');
            }
        }
        text.append("; pending wake-ups ").append(pending);
        for (ScriptedSmtpServer server : servers()) {
            List<String> lines = server.transcript();
            text.append("; ").append(server).append(" transcript tail ").append(lines.subList(Math.max(0, lines.size() - 12), lines.size()));
        }
        text.append("; last transitions ").append(transitions.subList(Math.max(0, transitions.size() - 10), transitions.size()));
        return text.toString();
    }

    /**
     * Closes every server first (a connection a script holds ends with it, so stopping does not
     * wait for it), then stops the engine if it runs, the deliverer and the delivery threads
     * (held connections included); fails when a thread is still running 10 s later, or when a
     * server's script failed.
     */
    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        for (ScriptedSmtpServer server : servers()) {
            try {
                server.close();
            } catch (RuntimeException | Error e) {
                failures.add(e);
            }
        }
        try {
            if (queue != null && !queue.stopping) {
                queue.stop(STOP_GRACE.toMillis());
            }
        } catch (RuntimeException e) {
            failures.add(e);
        } finally {
            if (realDeliverer != null) {
                realDeliverer.close();
            }
            release(); // each ends at once: the engine is stopped
            threads.shutdownNow();
        }
        try {
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                failures.add(new AssertionError("delivery threads still running 10 s after the engine stopped: " + threadsInSmtp()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add(e);
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("the engine fixture did not close cleanly", failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }

    private List<ScriptedSmtpServer> servers() {
        List<ScriptedSmtpServer> all = new ArrayList<>(defaultServers);
        all.addAll(domainServers.values());
        return all;
    }

    /** Each test domain relayed to its own server, as if that server were the domain's smarthost; other domains to the default one. */
    private Destination route(String recipient) {
        ScriptedSmtpServer server = domainServers.get(recipient.substring(recipient.lastIndexOf('@') + 1));
        return Destination.smarthost(hop(server != null ? server : server()));
    }

    private void execute(Runnable task) {
        int execution = executions.incrementAndGet();
        if (refusalsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            throw new RejectedExecutionException("refused by the test (" + refusalsLeft.get() + " more to refuse)");
        }
        synchronized (this) {
            if (holdingAll || execution == heldExecution) {
                held.add(task);
                return;
            }
        }
        threads.execute(task);
    }

    private boolean wakeAt(String destination, Instant due) {
        asked.add(new Wakeup(destination, due));
        pending.put(destination, due);
        return true;
    }
}
