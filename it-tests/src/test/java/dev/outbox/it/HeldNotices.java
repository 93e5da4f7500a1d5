package dev.outbox.it;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Exchange;
import dev.outbox.testing.smtp.Reaction;
import dev.outbox.testing.smtp.Rule;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A rule for the scripted relay that holds every notice (a transaction with MAIL FROM:&lt;&gt;) at
 * its final dot: the relay has the whole notice but does not answer, so the sender cannot know
 * it arrived and must keep it queued. Outbox's read timeout is minutes, longer than any test
 * holds it.
 *
 * <p>{@link #held()} lists the connections whose notice is waiting, in the order they came.
 * {@link #serverLost(int)} says the connections so far belonged to a server that was killed:
 * when released, their notices are stored unacknowledged and the connection closed without a
 * reply (the 250 could never have reached the dead client). {@link #release()} lets every held
 * notice and every later one go: the others are answered 250.
 *
 * <p>Threading: it runs on the relay's connection threads; the rest from the test's. Misuse: a
 * hold longer than {@link #BOUND} throws on the connection thread, which the relay reports at
 * its {@code close()}; call {@link #release()} before closing the relay, also when a test fails.
 */
final class HeldNotices implements Rule {

    static final Duration BOUND = Duration.ofMinutes(4);

    private final Map<Integer, String> mailFrom = new ConcurrentHashMap<>();
    private final List<Integer> held = new CopyOnWriteArrayList<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile int lostUpTo;

    @Override
    public Reaction react(Exchange exchange) {
        if (exchange.command() == Command.MAIL) {
            mailFrom.put(exchange.connection(), exchange.argument());
            return null;
        }
        boolean notice = mailFrom.getOrDefault(exchange.connection(), "").regionMatches(true, 0, "FROM:<>", 0, 7);
        if (exchange.command() != Command.END_OF_DATA || !notice) {
            return null;
        }
        held.add(exchange.connection());
        try {
            if (!released.await(BOUND.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("a notice held on connection " + exchange.connection() + " for " + BOUND + " was never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Reaction.close();
        }
        return exchange.connection() <= lostUpTo ? Reaction.acceptThenClose() : Reaction.proceed();
    }

    /** The connections whose notice has reached its final dot, in order (held now, or held until released). */
    List<Integer> held() {
        return List.copyOf(held);
    }

    /** Connections 1 to {@code connections} were a killed server's: their held notices are never answered. */
    void serverLost(int connections) {
        lostUpTo = connections;
    }

    /** Lets every held notice go, and every later one through at once. */
    void release() {
        released.countDown();
    }

    @Override
    public String toString() {
        return "hold MAIL FROM:<> at the final dot" + (released.getCount() == 0 ? " (released)" : "") + ", held on " + held;
    }
}
