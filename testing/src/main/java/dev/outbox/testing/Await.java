package dev.outbox.testing;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The one place a test waits for a condition that another thread makes true: it polls the
 * condition every {@value #POLL_MILLIS} ms until it holds or the deadline has passed.
 *
 * <p>{@link #until(Duration, BooleanSupplier, Supplier)} returns as soon as the condition is
 * true (at once if it already is) and otherwise throws {@link AssertionError} whose message is
 * what the caller says failed, followed by the deadline; the description is built only then,
 * so it may read the state the test is about (what arrived, the last answer). The caller's
 * duty: a condition that is cheap, has no side effect beyond reading, and throws nothing
 * checked (wrap I/O in the lambda).
 *
 * <p>Threading: it runs on the caller's thread and calls the condition there. An interrupt
 * ends the wait with an {@link AssertionError}, and the thread's interrupt status is set again.
 *
 * <p>Misuse: a null or negative deadline, or a null condition, throws
 * {@link IllegalArgumentException} or {@link NullPointerException} before any polling.
 */
public final class Await {

    static final long POLL_MILLIS = 10;

    private Await() {
    }

    /** Waits until {@code condition} holds; else fails with {@code whatFailed} and the deadline. */
    public static void until(Duration deadline, BooleanSupplier condition, String whatFailed) {
        Objects.requireNonNull(whatFailed, "whatFailed");
        until(deadline, condition, () -> whatFailed);
    }

    /** Waits until {@code condition} holds; else fails with what {@code whatFailed} says then, and the deadline. */
    public static void until(Duration deadline, BooleanSupplier condition, Supplier<String> whatFailed) {
        Objects.requireNonNull(deadline, "deadline");
        Objects.requireNonNull(condition, "condition");
        Objects.requireNonNull(whatFailed, "whatFailed");
        if (deadline.isNegative()) {
            throw new IllegalArgumentException("deadline is negative: " + deadline);
        }
        long end = System.nanoTime() + deadline.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - end >= 0) {
                throw new AssertionError(whatFailed.get() + ": not within " + deadline);
            }
            try {
                TimeUnit.MILLISECONDS.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(whatFailed.get() + ": interrupted while waiting (deadline " + deadline + ")", e);
            }
        }
    }
}
