package dev.outbox.it;

import dev.outbox.testing.Await;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves the EJB module's retry clock reaches the adapter through its admin object, and that
 * a wake-up scheduled on the EJB timer service comes back to the adapter.
 */
class RetryClockWiringIT extends SubmitterTestBase {

    @Test
    void clockIsAttachedAndItsWakeUpComesBack() {
        AtomicReference<Http.Answer> answer = new AtomicReference<>();
        Await.until(Duration.ofSeconds(10), () -> {
            answer.set(retryTimers());
            return answer.get().body().contains("verified=true");
        }, () -> "the wake-up's round trip verified; last answer " + answer.get());
        assertEquals(200, answer.get().status());
        assertEquals("attached=true\nverified=true\n", answer.get().body());
    }

    private Http.Answer retryTimers() {
        try {
            return Http.get(submitter, "retry-timers");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted asking for retry-timers", e);
        }
    }
}
