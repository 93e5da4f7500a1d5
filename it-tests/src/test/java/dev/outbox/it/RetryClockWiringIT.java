package dev.outbox.it;

import dev.outbox.testing.Await;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves the EJB module's retry clock reaches the adapter through its admin object, that a
 * wake-up scheduled on the EJB timer service comes back to the adapter, and that each
 * destination has at most one timer however many calls race to replace it.
 */
class RetryClockWiringIT extends SubmitterTestBase {

    @Test
    void clockIsAttachedAndItsWakeUpComesBack() {
        AtomicReference<Http.Answer> answer = new AtomicReference<>();
        Await.until(Duration.ofSeconds(30), () -> { // the check is asked for five seconds after the clock attaches
            answer.set(retryTimers());
            return answer.get().body().contains("verified=true");
        }, () -> "the wake-up's round trip verified; last answer " + answer.get());
        assertEquals(200, answer.get().status());
        assertEquals("attached=true\nverified=true\n", answer.get().body());
    }

    @Test
    void concurrentWakeUpsForOneDestinationLeaveOneTimer() throws Exception {
        String destination = "it.example:2525";

        Http.Answer asked = Http.post(submitter, "retry-timers?destination=" + destination + "&threads=40&inSeconds=3600",
                "text/plain", new byte[0]);

        assertEquals("failures=[]\n", asked.body());
        assertEquals("pending=1\n", Http.get(submitter, "retry-timers?pending=" + destination).body());
    }

    @Test
    void replacingATimerThatHasJustFiredIsNoError() throws Exception {
        String destination = "fired.example:2525";

        // Due at once: each call may replace a timer that is firing or has fired.
        for (int round = 0; round < 5; round++) {
            Http.Answer asked = Http.post(submitter, "retry-timers?destination=" + destination + "&threads=8&inSeconds=0",
                    "text/plain", new byte[0]);
            assertEquals("failures=[]\n", asked.body());
        }

        Await.until(Duration.ofSeconds(10), () -> pending(destination).equals("pending=0\n"),
                () -> "every wake-up fired and forgot itself; still " + pending(destination));
    }

    private String pending(String destination) {
        try {
            return Http.get(submitter, "retry-timers?pending=" + destination).body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted asking for pending timers", e);
        }
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
