package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.store.MemoryStore;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.ScriptedSmtpServer;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * One run of the queue engine for a scenario test: a {@link MailQueue} over a {@link MemoryStore},
 * on a {@link TestClock}, delivering with the real {@link SmtpDeliverer} (optionally wrapped by
 * the test, to inject a fault at the {@link Deliverer} seam) on threads of its own, with every
 * wake-up the queue asks for recorded and dropped (the test calls {@link MailQueue#wake} itself,
 * as the EJB clock would, or never, to lose them) and every recipient transition recorded.
 *
 * <p>{@link #start} builds and starts a queue; {@link #restart} stops it and starts a new one over
 * the same store and clock, as a server restart does; {@link #close} stops the queue (grace
 * {@link #STOP_GRACE}), the deliverer and the threads. The test closes its SMTP servers itself,
 * after this. Threading: the test's thread only, except what the queue calls back.
 */
final class EngineRun implements AutoCloseable {

    /** Generous: two cores are shared with other builds. */
    static final Duration DEADLINE = Duration.ofSeconds(10);
    static final Duration STOP_GRACE = Duration.ofSeconds(2);
    static final Instant START = Instant.ofEpochMilli(1_800_000_000_000L);
    private static final SubmitLimits LIMITS = new SubmitLimits(1024 * 1024, 100);

    /** A wake-up the queue asked for. */
    record Wakeup(String destination, Instant due) {
    }

    final TestClock clock = new TestClock(START);
    final MemoryStore store = new MemoryStore();
    final List<Wakeup> wakeups = new CopyOnWriteArrayList<>();
    final List<Transition> transitions = new CopyOnWriteArrayList<>();
    private final SmtpDeliverer smtp;
    private final ExecutorService threads = Executors.newCachedThreadPool(task -> {
        Thread thread = new Thread(task, "engine-run-delivery");
        thread.setDaemon(true);
        return thread;
    });
    private Deliverer deliverer;
    private QueuePolicy policy;
    private Function<String, NextHop> router;
    MailQueue queue;

    /** Read timeout 5 s. */
    EngineRun() {
        this(Duration.ofSeconds(5));
    }

    EngineRun(Duration readTimeout) {
        smtp = new SmtpDeliverer(new SmtpSettings("outbox.test", Duration.ofSeconds(5), readTimeout));
        deliverer = smtp;
    }

    /** Wraps the real deliverer in a fault of the test's, for the queues started from now on. */
    EngineRun wrap(UnaryOperator<Deliverer> fault) {
        deliverer = fault.apply(smtp);
        return this;
    }

    /** Builds and starts a queue that routes with {@code router}. */
    MailQueue start(QueuePolicy policy, Function<String, NextHop> router) {
        this.policy = policy;
        this.router = router;
        queue = new MailQueue(clock, store, router, deliverer, threads, (destination, due) -> {
            wakeups.add(new Wakeup(destination, due));
            return true;
        }, policy);
        queue.listen(transitions::add);
        queue.start();
        return queue;
    }

    /** Stops the queue (which closes the store) and starts a new one over the same store, clock and policy. */
    MailQueue restart() {
        queue.stop(STOP_GRACE.toMillis());
        return start(policy, router);
    }

    /** Policy: retry schedule {@code retry} without jitter, messages live 2 days, 100 messages a connection. */
    static QueuePolicy policy(String retry, int perDestination, int maxConnections, Duration attemptTimeout) {
        return new QueuePolicy(RetrySchedule.parse(retry).withJitter(bound -> 0), Duration.ofDays(2), perDestination, 100,
                maxConnections, attemptTimeout);
    }

    /** {@link #policy} with a 10-minute attempt timeout. */
    static QueuePolicy policy(String retry, int perDestination, int maxConnections) {
        return policy(retry, perDestination, maxConnections, Duration.ofMinutes(10));
    }

    /** Every recipient to {@code server}. */
    static Function<String, NextHop> to(ScriptedSmtpServer server) {
        NextHop hop = hop(server);
        return recipient -> hop;
    }

    /** Each recipient to the server of its domain. */
    static Function<String, NextHop> byDomain(Map<String, ScriptedSmtpServer> servers) {
        return recipient -> {
            String domain = recipient.substring(recipient.lastIndexOf('@') + 1);
            ScriptedSmtpServer server = servers.get(domain);
            if (server == null) {
                throw new IllegalArgumentException("no server for " + recipient);
            }
            return hop(server);
        };
    }

    static NextHop hop(ScriptedSmtpServer server) {
        return new NextHop(server.host(), server.port());
    }

    /** A message from app@example.com to {@code recipients}, with {@code subject}. */
    static Submission mail(String subject, String... recipients) {
        String content = "From: app@example.com\r\nTo: " + String.join(", ", recipients) + "\r\nSubject: " + subject
                + "\r\n\r\nbody of " + subject + "\r\n";
        try {
            return Submission.of(new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII)),
                    Envelope.of("app@example.com", List.of(recipients)), LIMITS, "outbox.test");
        } catch (Exception e) {
            throw new AssertionError("cannot build test mail " + subject, e);
        }
    }

    /** Submits {@link #mail} and returns its queue id. */
    String submit(String subject, String... recipients) {
        try {
            return queue.submit(mail(subject, recipients));
        } catch (Exception e) {
            throw new AssertionError("submit of " + subject + " refused", e);
        }
    }

    /** The transfer queue of {@code server}, which must exist. */
    TransferQueue queueOf(ScriptedSmtpServer server) {
        TransferQueue transfer = queue.queue(hop(server).toString());
        if (transfer == null) {
            throw new AssertionError("no transfer queue for " + hop(server) + "; have " + queue.queues().stream().map(TransferQueue::name).toList());
        }
        return transfer;
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

    /** Waits up to {@link #DEADLINE} for {@code condition}; else fails with {@code what} and the last 20 transitions. */
    void await(BooleanSupplier condition, Supplier<String> what) {
        Await.until(DEADLINE, condition, () -> what.get() + "; last transitions: "
                + transitions.subList(Math.max(0, transitions.size() - 20), transitions.size()));
    }

    void await(BooleanSupplier condition, String what) {
        await(condition, () -> what);
    }

    @Override
    public void close() {
        List<Throwable> failures = new ArrayList<>();
        try {
            if (queue != null) {
                queue.stop(STOP_GRACE.toMillis());
            }
        } catch (RuntimeException e) {
            failures.add(e);
        }
        smtp.close();
        threads.shutdownNow();
        try {
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                failures.add(new AssertionError("delivery threads still running 10 s after the queue stopped"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failures.add(e);
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("engine run did not stop cleanly", failures.get(0));
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }
}
