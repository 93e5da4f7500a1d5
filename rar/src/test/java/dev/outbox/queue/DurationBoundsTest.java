package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Proves that configured durations are bounded where they are read (DurationText: ten years; a
 * retry wait: 30 days; the maximum age: a year), so the engine's clock arithmetic cannot wrap
 * (a review found an unbounded maximum age wrapped and expired every message at once).
 */
class DurationBoundsTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();

    /** submit computes expiry = now + maxAge: an age so large that the sum would wrap is refused where the policy is made. */
    @Test
    void aMaximumAgeBeyondAYearIsRefused() {
        Duration maxAge = RetrySchedule.DurationText.parse("3650d");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new QueuePolicy(RetrySchedule.parse("1m"), maxAge, 1, 100, 8, Duration.ofMinutes(10)));
        assertEquals("maximum message age 3650d must be at least 1m and at most 365d", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> RetrySchedule.parse("1m,31d"));
    }

    /** The longest allowed age still delivers: the arithmetic stays far from overflow. */
    @Test
    void aYearLongMaximumAgeDelivers() {
        QueuePolicy policy = new QueuePolicy(RetrySchedule.parse("1m").withJitter(n -> 0), QueuePolicy.LONGEST_MAX_AGE, 1, 100, 8,
                Duration.ofMinutes(10));
        MailQueue queue = engine.start(policy);

        String id = engine.submit("a year", "ann@a.example");
        engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.DELIVERED && queue.openConnections() == 0, "delivered");
    }

    /** An overflowing duration is refused as bad input (IllegalArgumentException, which AdapterSettings.parsed reports), not an ArithmeticException. */
    @Test
    void anOverflowingDurationIsRefusedAsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> RetrySchedule.DurationText.parse("9999999999999999d"));
    }
}
