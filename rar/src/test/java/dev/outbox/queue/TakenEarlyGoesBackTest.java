package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a message a connection took in flight while the server answered the data of the
 * message before is not lost, stuck or sent twice when that answer ends the connection: it goes
 * back to the head of the ready queue untouched, and both arrive once after the retry.
 */
class TakenEarlyGoesBackTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aMessageTakenEarlyGoesBackWhenTheAnswerBeforeItClosesTheConnection() {
        server.script(Rules.on(Command.END_OF_DATA).onConnection(1).times(1).reply("421 4.3.2 shutting down"));
        engine.hold(); // both queued before the connection opens
        MailQueue queue = engine.start();
        String first = engine.submit("first", "ann@a.example");
        String second = engine.submit("second", "bob@a.example");
        engine.release();

        engine.await(() -> engine.transfer().consecutiveFailures() == 1 && engine.count(RecipientState.IN_FLIGHT) == 0
                && queue.openConnections() == 0, "the queue in RETRY after the 421, nothing in flight");
        assertEquals(RecipientState.DEFERRED, engine.lastState(first, "ann@a.example"));
        assertEquals(RecipientState.QUEUED, engine.lastState(second, "bob@a.example"), "taken early, then put back: " + engine.transitions());
        assertTrue(engine.entered(second, "bob@a.example", RecipientState.IN_FLIGHT) > 0, "it had been taken early");
        assertEquals(1, server.count(Command.MAIL), "nothing of \"second\" went out on the closing connection: " + server.transcript());

        engine.settleRetries();
        assertEquals(Map.of("first", 1, "second", 1), EngineFixture.perSubject(server.received()),
                "each arrives once after the retry; transitions " + engine.transitions());
    }
}
