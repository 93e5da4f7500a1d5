package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.store.MemoryStore;
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
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * The reviewer's own harness (so that it does not depend on fixtures other engineers are still
 * changing): a real {@link MailQueue} over a {@link MemoryStore} on a {@link TestClock},
 * delivering with the real {@link SmtpDeliverer} to {@link ScriptedSmtpServer}s, on a thread
 * pool whose {@link Executor} the test may wrap, with the EJB clock's semantics for wake-ups
 * (one pending per destination, a new request replaces it) and every transition recorded.
 */
final class ReviewEngine implements AutoCloseable {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final Instant START = Instant.parse("2027-03-01T10:00:00Z");
    static final SubmitLimits LIMITS = new SubmitLimits(1 << 20, 100);

    final TestClock clock = new TestClock(START);
    final MemoryStore store = new MemoryStore();
    final Map<String, Instant> pending = new ConcurrentHashMap<>();
    final List<String> asked = new CopyOnWriteArrayList<>();
    final List<Transition> transitions = new CopyOnWriteArrayList<>();
    final List<Thread> deliveryThreads = new CopyOnWriteArrayList<>();
    private final ExecutorService pool;
    private final SmtpDeliverer smtp;
    private Deliverer deliverer;
    private Executor executor;
    MailQueue queue;

    ReviewEngine() {
        this(new SmtpSettings("outbox.review", Duration.ofSeconds(5), Duration.ofSeconds(5)));
    }

    ReviewEngine(SmtpSettings settings) {
        AtomicInteger numbers = new AtomicInteger();
        pool = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "review-delivery-" + numbers.incrementAndGet());
            thread.setDaemon(true);
            deliveryThreads.add(thread);
            return thread;
        });
        smtp = new SmtpDeliverer(settings);
        deliverer = smtp;
        executor = pool;
    }

    ReviewEngine wrapDeliverer(UnaryOperator<Deliverer> fault) {
        deliverer = fault.apply(smtp);
        return this;
    }

    ReviewEngine wrapExecutor(UnaryOperator<Executor> fault) {
        executor = fault.apply(pool);
        return this;
    }

    static QueuePolicy policy(String retry, int perDestination, int messagesPerConnection, int maxConnections, Duration attemptTimeout) {
        return new QueuePolicy(RetrySchedule.parse(retry).withJitter(n -> 0), Duration.ofDays(2), perDestination, messagesPerConnection,
                maxConnections, attemptTimeout);
    }

    MailQueue start(QueuePolicy policy, Function<String, NextHop> router) {
        queue = new MailQueue(clock, store, router, deliverer, executor, (destination, due) -> {
            asked.add(destination + "@" + due);
            pending.put(destination, due);
            return true;
        }, policy);
        queue.listen(transitions::add);
        queue.start();
        return queue;
    }

    /** A new engine over the same store, clock and deliverer, as a server restart does (stop the old one first). */
    MailQueue restart(QueuePolicy policy, Function<String, NextHop> router) {
        pending.clear();
        return start(policy, router);
    }

    static Function<String, NextHop> to(ScriptedSmtpServer server) {
        NextHop hop = hop(server);
        return recipient -> hop;
    }

    static Function<String, NextHop> byDomain(Map<String, ScriptedSmtpServer> servers) {
        return recipient -> hop(servers.get(recipient.substring(recipient.lastIndexOf('@') + 1)));
    }

    static NextHop hop(ScriptedSmtpServer server) {
        return new NextHop(server.host(), server.port());
    }

    static Submission mail(String subject, String... recipients) {
        String content = "From: app@example.com\r\nTo: " + String.join(", ", recipients) + "\r\nSubject: " + subject
                + "\r\n\r\nbody of " + subject + "\r\n";
        try {
            return Submission.of(new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII)),
                    Envelope.of("app@example.com", List.of(recipients)), LIMITS, "outbox.review");
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    String submit(String subject, String... recipients) {
        try {
            return queue.submit(mail(subject, recipients));
        } catch (Exception e) {
            throw new AssertionError("submit of " + subject + " refused", e);
        }
    }

    TransferQueue queueOf(ScriptedSmtpServer server) {
        return queue.queue(hop(server).toString());
    }

    /** Moves the clock to the pending wake-up of {@code server}'s queue and fires it, as the EJB timer would. */
    Instant fire(ScriptedSmtpServer server) {
        String name = hop(server).toString();
        Instant due = pending.remove(name);
        if (due == null) {
            throw new AssertionError("no wake-up pending for " + name + ": " + describe());
        }
        if (due.toEpochMilli() > clock.millis()) {
            clock.advance(Duration.ofMillis(due.toEpochMilli() - clock.millis()));
        }
        queue.wake(name);
        return due;
    }

    RecipientState lastState(String id, String recipient) {
        RecipientState state = RecipientState.QUEUED;
        for (Transition t : transitions) {
            if (t.messageId().equals(id) && t.recipient().equals(recipient)) {
                state = t.to();
            }
        }
        return state;
    }

    int count(RecipientState state) {
        int count = 0;
        for (QueuedMessage message : queue.ledger.liveMessages()) {
            synchronized (message) {
                for (int i = 0; i < message.recipientCount(); i++) {
                    count += message.state(i) == state ? 1 : 0;
                }
            }
        }
        return count;
    }

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

    static Map<String, Integer> perSubject(List<Received> received) {
        Map<String, Integer> counts = new TreeMap<>();
        for (Received message : received) {
            if (message.acknowledged()) {
                counts.merge(message.header("Subject").orElse("?"), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Delivery threads that are alive and inside the SMTP session or Angus. */
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

    void await(BooleanSupplier condition, Supplier<String> what) {
        Await.until(WAIT, condition, () -> what.get() + "; " + describe());
    }

    void await(BooleanSupplier condition, String what) {
        await(condition, () -> what);
    }

    String describe() {
        StringBuilder text = new StringBuilder();
        text.append("clock ").append(clock.instant()).append(", open connections ").append(queue.openConnections())
                .append(", live ").append(states()).append(", delivered ").append(queue.deliveredCount())
                .append(", stuck recovered ").append(queue.stuckRecovered());
        for (TransferQueue t : queue.queues()) {
            text.append("; queue ").append(t.name()).append(' ').append(t.state(clock.millis())).append(" ready ").append(t.readyCount())
                    .append(" scheduled ").append(t.scheduledCount()).append(" active ").append(t.activeConnections())
                    .append(" retryAt ").append(t.retryAtMillis() == 0 ? "-" : Instant.ofEpochMilli(t.retryAtMillis()))
                    .append(" armed ").append(t.armedAtMillis() == Long.MAX_VALUE ? "never" : Instant.ofEpochMilli(t.armedAtMillis()));
        }
        text.append("; pending wake-ups ").append(pending);
        return text.toString();
    }

    @Override
    public void close() {
        try {
            if (queue != null && !queue.stopping) {
                queue.stop(2_000);
            }
        } finally {
            smtp.close();
            pool.shutdownNow();
            try {
                pool.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
