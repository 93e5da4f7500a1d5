package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves DESIGN.md's invariant 2 as the sweep checks it: recipients whose wake-up was lost are
 * counted overdue only once they are due by more than a second, repaired once and delivered; a
 * healthy queue with busy connections has none; an attempt wedged past its deadline is repaired,
 * delivered on a new connection, and its late outcome changes nothing.
 */
class SweepInvariantTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer a = engine.server("a.example");
    private final ScriptedSmtpServer b = engine.server("b.example");

    @Test
    void recipientsWhoseWakeupWasLostAreOverdueOnlyPastTheirGraceAndTheSweepRepairsEachOnce() {
        // a.example: two recipients get 451 on the first connection (deferred one by one); b.example: the first connection is refused (RETRY).
        a.script(Rules.on(Command.RCPT).onConnection(1).when(e -> e.argument().contains("late")).reply("451 4.3.0 try later"));
        b.script(Rules.on(Command.CONNECT).onConnection(1).close());
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 100, 8, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));

        String toA = engine.submit("to a", "late1@a.example", "late2@a.example", "now@a.example");
        String toB = engine.submit("to b", "y@b.example");
        engine.await(() -> engine.lastState(toA, "late1@a.example") == RecipientState.DEFERRED
                && engine.lastState(toA, "late2@a.example") == RecipientState.DEFERRED
                && engine.lastState(toA, "now@a.example") == RecipientState.DELIVERED, "a.example's outcomes");
        engine.await(() -> engine.transfer(b).consecutiveFailures() == 1 && queue.openConnections() == 0, "b.example in RETRY, no connection open");
        long due = EngineFixture.START.toEpochMilli() + Duration.ofMinutes(1).toMillis(); // both the deferral and the retry time, no jitter
        assertEquals(due, engine.transfer(b).retryAtMillis());
        List<EngineFixture.Wakeup> asked = engine.wakeupsAsked();
        assertTrue(asked.stream().anyMatch(w -> w.destination().equals(engine.transfer(a).name()) && w.due().toEpochMilli() == due),
                "a.example's wake-up was asked for (and lost): " + asked);
        assertTrue(asked.stream().anyMatch(w -> w.destination().equals(engine.transfer(b).name()) && w.due().toEpochMilli() == due),
                "b.example's wake-up was asked for (and lost): " + asked);

        // Not yet due: nothing overdue, nothing to repair.
        engine.clock.advance(Duration.ofMillis(due - 1 - engine.clock.millis()));
        assertEquals(0, queue.overdueRecipients());
        assertEquals(0, queue.sweep());
        // Due, but by no more than the grace of about a second: still not overdue.
        engine.clock.advance(Duration.ofMillis(due + MailQueue.OVERDUE_GRACE_MILLIS - engine.clock.millis()));
        assertEquals(0, queue.overdueRecipients());
        assertEquals(0, queue.stuckRecovered());
        assertEquals(1, a.received().size(), "nothing more went out while the wake-ups were lost: " + a.received());
        assertEquals(0, b.received().size());

        // Past due by more than the grace: exactly the three stranded recipients.
        engine.clock.advance(Duration.ofMillis(500));
        assertEquals(3, queue.overdueRecipients());
        assertEquals(3, queue.sweep());
        assertEquals(3, queue.stuckRecovered());
        assertEquals(0, queue.sweep(), "a second sweep finds nothing left to repair");
        assertEquals(3, queue.stuckRecovered(), "each counted once");

        List<Received> atA = a.awaitReceived(2, EngineFixture.WAIT);
        b.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> engine.store().messageCount() == 0, "the store empties");
        assertEquals(List.of("late1@a.example", "late2@a.example"), atA.get(1).recipients());
        assertEquals(List.of("y@b.example"), b.received().get(0).recipients());
        assertEquals(4, queue.deliveredCount());
        assertEquals(1, engine.entered(toB, "y@b.example", RecipientState.DELIVERED));
        assertEquals(0, queue.overdueRecipients());
    }

    @Test
    void healthyQueueWithBusyConnectionsHasNoOverdueRecipient() {
        a.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofMillis(40)));
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 100, 8, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));
        int messages = 30;
        for (int i = 0; i < messages; i++) {
            engine.submit("healthy " + i, "r" + i + "@a.example");
        }

        // While both connections are busy, the waiting mail grows older than the grace on the
        // test's clock, but no connection is free for it: it is not overdue.
        int sweeps = 0;
        for (int seen = 0; seen < messages; seen = a.received().size()) {
            engine.clock.advance(Duration.ofMillis(1_500));
            assertEquals(0, queue.overdueRecipients(), "overdue while " + seen + " of " + messages + " delivered");
            if (seen % 5 == 0) {
                assertEquals(0, queue.sweep(), "sweep while " + seen + " of " + messages + " delivered");
                sweeps++;
            }
            int before = seen;
            engine.await(() -> a.received().size() > before, () -> "delivery goes on past " + before);
        }

        engine.await(() -> engine.store().messageCount() == 0, "the store empties");
        assertTrue(sweeps > 0);
        assertEquals(0, queue.sweep());
        assertEquals(0, queue.stuckRecovered());
        assertEquals(messages, queue.deliveredCount());
        assertTrue(a.connectionsAccepted() <= 2, "two connections carried it all: " + a.connectionsAccepted());
    }

    @Test
    void attemptWedgedPastItsDeadlineIsRepairedDeliveredAgainAndItsLateOutcomeChangesNothing() throws Exception {
        WedgedFirstSend wedge = new WedgedFirstSend();
        engine.wrapDeliverer(wedge::around);
        Duration attemptTimeout = Duration.ofSeconds(30);
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 100, 4, attemptTimeout));
        try {
            String id = engine.submit("wedged", "w@a.example");
            assertTrue(wedge.sending.await(EngineFixture.WAIT.toSeconds(), TimeUnit.SECONDS), "the first send started");
            assertEquals(RecipientState.IN_FLIGHT, engine.lastState(id, "w@a.example"));
            assertEquals(0, queue.overdueRecipients(), "in flight before its deadline");

            engine.clock.advance(attemptTimeout.plusMillis(MailQueue.OVERDUE_GRACE_MILLIS + 500));
            assertEquals(1, queue.overdueRecipients(), "in flight past its deadline by more than the grace");
            assertEquals(1, queue.sweep());
            assertEquals(1, queue.stuckRecovered());

            Received delivered = a.awaitReceived(1, EngineFixture.WAIT).get(0);
            assertEquals(2, delivered.connection(), "delivered on a new connection");
            engine.await(() -> queue.deliveredCount() == 1 && engine.store().messageCount() == 0, "delivered and gone from the store");

            wedge.release.countDown(); // the wedged send now claims DELIVERED, long after its attempt was repaired
            engine.await(() -> queue.openConnections() == 0, "the wedged connection ends");

            assertEquals(1, queue.deliveredCount(), "counted once");
            assertEquals(1, engine.entered(id, "w@a.example", RecipientState.DELIVERED));
            assertEquals(0, queue.bouncedCount());
            assertEquals(0, queue.deferredCount());
            assertEquals(0, engine.store().messageCount());
            assertEquals(1, a.received().size());
            assertEquals(0, queue.overdueRecipients());
            assertEquals(1, queue.stuckRecovered());
        } finally {
            wedge.release.countDown();
        }
    }

    /** The first send blocks, ignoring its socket, until released, then says DELIVERED without sending anything. */
    private static final class WedgedFirstSend {
        final CountDownLatch sending = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Deliverer around(Deliverer real) {
            return new FirstSendFault(real, envelope -> {
                sending.countDown();
                try {
                    if (!release.await(60, TimeUnit.SECONDS)) {
                        throw new AssertionError("the wedged send was not released within a minute");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return RecipientOutcome.all(envelope.recipients(), RecipientOutcome.Status.DELIVERED, 250, "250 2.0.0 late");
            });
        }
    }
}
