package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * RecipientLedger.merge offers a message to the ready queue only for the first of its
 * recipients merged in one call ("lastOffered"), one recipient per loop turn, releasing the
 * message's lock between turns. If a connection polls that ready entry and takes the message
 * between two turns, it takes only the recipients merged so far; the next turn merges the
 * message's other recipient to QUEUED but does not offer the message again (it is lastOffered).
 * That recipient is then QUEUED with no ready entry and no timer: nothing attempts it until
 * the sweep's invariant check repairs it (StuckRecovered, which must stay 0) - the per-recipient
 * KB 826948 shape again.
 *
 * <p>The test holds the wake thread between the two turns with a transition listener (tell()
 * runs on the merging thread, after the first recipient's lock is released), which makes the
 * thread-scheduling race deterministic.
 */
class MergeOfferRaceTest {

    @AutoClose
    private final ReviewEngine engine = new ReviewEngine();
    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void aRecipientMergedJustAfterItsMessageWasTakenIsStillAttempted() throws Exception {
        // Both recipients of "pair" get 451 on connection 1: deferred together, due at the same time (jitter 0).
        server.script(Rules.on(Command.RCPT).onConnection(1).reply("451 4.3.0 try later"));
        MailQueue queue = engine.start(ReviewEngine.policy("1m", 2, 100, 8, Duration.ofMinutes(10)), ReviewEngine.to(server));
        String pair = engine.submit("pair", "r1@a.example", "r2@a.example");
        engine.await(() -> engine.lastState(pair, "r1@a.example") == RecipientState.DEFERRED
                && engine.lastState(pair, "r2@a.example") == RecipientState.DEFERRED && queue.openConnections() == 0, "both deferred");

        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        AtomicBoolean once = new AtomicBoolean();
        queue.listen(t -> {
            if (t.from() == RecipientState.DEFERRED && t.to() == RecipientState.QUEUED && once.compareAndSet(false, true)) {
                paused.countDown(); // the wake thread, between merging r1 and r2
                try {
                    resume.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        });

        CompletableFuture<Void> wake = CompletableFuture.runAsync(() -> engine.fire(server));
        if (!paused.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the wake never merged: " + engine.describe());
        }
        // Meanwhile other mail arrives for the same destination and opens a connection, which polls "pair" first.
        engine.submit("other", "x@a.example");
        try {
            // At 50df33d the new connection takes r1 while the wake is paused (a merge that holds the message's lock
            // across all its recipients would make it wait instead: then this wait simply ends).
            dev.outbox.testing.Await.until(Duration.ofSeconds(5),
                    () -> engine.lastState(pair, "r1@a.example") == RecipientState.DELIVERED, "r1 delivered by the new connection");
        } catch (AssertionError notTakenMeanwhile) {
            // the merge did not let the connection take the message between its recipients
        }
        resume.countDown();
        wake.get(30, TimeUnit.SECONDS);

        // No sweep: the wake's own dispatch and the open connections must take r2.
        dev.outbox.testing.Await.until(Duration.ofSeconds(10),
                () -> engine.lastState(pair, "r2@a.example") == RecipientState.DELIVERED
                        && engine.lastState(pair, "r1@a.example") == RecipientState.DELIVERED,
                () -> "r2 was merged but never attempted: it is " + engine.lastState(pair, "r2@a.example")
                        + "; ready entries of its queue " + engine.queueOf(server).readyCount() + ", " + engine.describe());
        assertEquals(0, queue.stuckRecovered());
    }
}
