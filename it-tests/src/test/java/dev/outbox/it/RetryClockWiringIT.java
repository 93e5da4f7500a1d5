package dev.outbox.it;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves the EJB module's retry clock reaches the adapter through its admin object, and that
 * a wake-up scheduled on the EJB timer service comes back to the adapter.
 */
class RetryClockWiringIT extends SubmitterTestBase {

    @Test
    void clockIsAttachedAndItsWakeUpComesBack() throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(10));
        Http.Answer answer = Http.get(submitter, "retry-timers");
        while (!answer.body().contains("verified=true") && Instant.now().isBefore(deadline)) {
            Thread.sleep(50); // polling a condition, with the deadline above
            answer = Http.get(submitter, "retry-timers");
        }
        assertEquals(200, answer.status());
        assertEquals("attached=true\nverified=true\n", answer.body());
    }
}
