package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that the sweep, aborting a message's attempt past its deadline at one destination,
 * leaves the same message's in-deadline attempt at another alone: it is delivered and its queue
 * stays out of RETRY (a review found the abort matched the message only, not the attempt).
 */
class SweepAbortScopeTest {

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer a = engine.server("a.example");
    private final ScriptedSmtpServer b = engine.server("b.example");

    @Test
    void anOverdueAttemptAtOneDestinationDoesNotAbortTheSameMessagesAttemptAtAnother() {
        a.script(Rules.on(Command.END_OF_DATA).silence()); // wedged: only the deadline ends it
        b.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofSeconds(3))); // healthy, a little slow
        // b.example's connection starts 20 s (test clock) after a.example's: hold it in the executor until then.
        engine.holdConnection(2);
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 100, 8, ATTEMPT_TIMEOUT));
        String id = engine.submit("both", "ann@a.example", "bob@b.example"); // a.example's agent is call 1, b.example's call 2
        engine.await(() -> a.count(Command.END_OF_DATA) == 1, "a.example has the data and says nothing");

        engine.clock.advance(Duration.ofSeconds(20));
        engine.release();
        engine.await(() -> b.count(Command.END_OF_DATA) == 1, "b.example has the data and answers in 3 s");

        // a.example's attempt (deadline +30 s) is overdue; b.example's (deadline +50 s) is not.
        engine.clock.advance(Duration.ofSeconds(12));
        queue.sweep();
        engine.await(() -> engine.lastState(id, "bob@b.example") != RecipientState.IN_FLIGHT
                && engine.lastState(id, "bob@b.example") != RecipientState.QUEUED, "b.example's attempt ended");

        TransferQueue atB = engine.transfer(b);
        try {
            Await.until(Duration.ofSeconds(6), () -> !b.received().isEmpty(), "b.example stored nothing");
        } catch (AssertionError e) {
            // b.example stored nothing: the assertions below say what became of its recipient
        }
        engine.await(() -> atB.activeConnections() == 0, "b.example's connection closed after its message");
        String atServer = "b.example's server holds " + b.received();
        assertAll(
                () -> assertEquals(RecipientState.DELIVERED, engine.lastState(id, "bob@b.example"), "b.example's recipient; " + atServer),
                () -> assertEquals(0, atB.consecutiveFailures(), "b.example's failures: " + atB.lastError()),
                () -> assertEquals(QueueState.EMPTY, atB.state(engine.clock.millis()), "b.example's queue"));
    }
}
