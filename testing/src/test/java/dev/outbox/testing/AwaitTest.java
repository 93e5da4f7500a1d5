package dev.outbox.testing;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves the wait returns once the condition holds and fails with the caller's words and the deadline. */
class AwaitTest {

    @Test
    void returnsOnceTheConditionHolds() {
        AtomicInteger polls = new AtomicInteger();

        Await.until(Duration.ofSeconds(5), () -> polls.incrementAndGet() == 3, "three polls");

        assertEquals(3, polls.get());
    }

    @Test
    void failsWithWhatTheCallerSaysAndTheDeadline() {
        AtomicInteger polls = new AtomicInteger();

        AssertionError failure = assertThrows(AssertionError.class,
                () -> Await.until(Duration.ofMillis(50), () -> polls.incrementAndGet() < 0, () -> "polled " + polls.get() + " times"));

        assertTrue(failure.getMessage().matches("polled \\d+ times: not within PT0.05S"), failure.getMessage());
        assertTrue(polls.get() >= 2, "polled more than once");
    }

    @Test
    void anInterruptEndsTheWaitAndIsKept() {
        Thread.currentThread().interrupt();
        try {
            AssertionError failure = assertThrows(AssertionError.class, () -> Await.until(Duration.ofSeconds(5), () -> false, "never"));
            assertTrue(failure.getMessage().startsWith("never: interrupted"), failure.getMessage());
            assertTrue(Thread.currentThread().isInterrupted());
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void aNegativeDeadlineIsMisuse() {
        assertThrows(IllegalArgumentException.class, () -> Await.until(Duration.ofMillis(-1), () -> true, "x"));
    }
}
