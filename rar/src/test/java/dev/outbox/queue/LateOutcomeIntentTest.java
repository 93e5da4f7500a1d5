package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves what happens when the sweep gives up an attempt that an operator marked and the server's
 * 250 comes after that: a frozen recipient takes the late answer and is delivered once (a third
 * review found it sent twice on unfreeze); a deleted one stays deleted and is never sent again.
 */
class LateOutcomeIntentTest {

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    private final CountDownLatch sent = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);

    /** The first send really happens (250), then its thread stalls before returning the outcome. */
    private Deliverer slowAfter250(Deliverer real) {
        AtomicBoolean first = new AtomicBoolean(true);
        return (destination, budget, abort) -> {
            Deliverer.Connection c = real.connect(destination, budget, abort);
            return new Deliverer.Connection() {
                @Override
                public List<RecipientOutcome> send(Envelope envelope, byte[] content, Duration b) {
                    List<RecipientOutcome> outcomes = c.send(envelope, content, b);
                    if (first.compareAndSet(true, false)) {
                        sent.countDown();
                        try {
                            release.await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return outcomes;
                }

                @Override
                public boolean isBroken() {
                    return c.isBroken();
                }

                @Override
                public void abort() {
                    c.abort();
                }

                @Override
                public void close() {
                    c.close();
                }
            };
        };
    }

    private MailQueue startAndSendOne(String[] id) throws Exception {
        engine.wrapDeliverer(this::slowAfter250);
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 100, 8, ATTEMPT_TIMEOUT));
        id[0] = engine.submit("once", "ann@a.example");
        assertTrue(sent.await(30, TimeUnit.SECONDS), "sent");
        server.awaitReceived(1, EngineFixture.WAIT);
        return queue;
    }

    @Test
    void aFreezeIntentFulfilledByTheSweepDropsA250AndUnfreezeSendsItTwice() throws Exception {
        String[] id = new String[1];
        MailQueue queue = startAndSendOne(id);
        assertEquals(1, queue.freezeMessage(id[0]), "marked while in flight");
        engine.clock.advance(ATTEMPT_TIMEOUT.plusSeconds(2));
        queue.sweep(); // aborts the attempt and fulfils the intent: FROZEN
        release.countDown(); // the 250's outcome arrives now
        engine.awaitIdle();

        RecipientState state = engine.lastState(id[0], "ann@a.example");
        if (state == RecipientState.FROZEN) {
            queue.unfreezeMessage(id[0]);
            engine.await(() -> queue.messageCount() == 0 && engine.idle(), "gone");
        }
        assertEquals(Map.of("ann@a.example", 1), EngineFixture.perRecipient(server.received()),
                "the server acknowledged it once; state after the late 250 was " + state + "; transitions " + engine.transitions());
    }

    /**
     * A delete the sweep carried out when it gave the attempt up stays a delete even if the
     * server's 250 comes later (the message is gone from the store by then): the mail is not
     * sent again, and it counts once, as deleted. (The late answer of a frozen recipient, above,
     * is kept, since the message is still there.)
     */
    @Test
    void aDeleteIntentFulfilledByTheSweepIsNeverSentAgain() throws Exception {
        String[] id = new String[1];
        MailQueue queue = startAndSendOne(id);
        assertEquals(1, queue.deleteMessage(id[0]), "marked while in flight");
        engine.clock.advance(ATTEMPT_TIMEOUT.plusSeconds(2));
        queue.sweep();
        release.countDown();
        engine.awaitIdle();

        assertEquals(RecipientState.DELETED, engine.lastState(id[0], "ann@a.example"), "transitions " + engine.transitions());
        assertEquals(1, queue.deletedCount());
        assertEquals(0, queue.deliveredCount());
        assertEquals(0, queue.messageCount(), "gone from the store");
        assertEquals(Map.of("ann@a.example", 1), EngineFixture.perRecipient(server.received()), "sent once");
    }
}
