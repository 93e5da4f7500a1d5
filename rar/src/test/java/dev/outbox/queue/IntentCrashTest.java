package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a freeze of a recipient in flight holds across kill -9: it is stored at once, so the
 * recovered engine does not send the mail (a third review found it kept only in memory).
 */
class IntentCrashTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aFreezeOfARecipientInFlightDoesNotSurviveACrash() throws Exception {
        server.script(Rules.on(Command.END_OF_DATA).onConnection(1).delayThenReply(Duration.ofSeconds(3), "451 4.3.0 later"));
        MailQueue before = engine.start();
        String id = engine.submit("held", "ann@a.example");
        engine.await(() -> server.count(Command.END_OF_DATA) == 1, "its data sent");
        assertEquals(1, before.freezeMessage(id), "the operator is told it is frozen");

        // kill -9: the old engine never settles; a new one recovers the same store.
        engine.memoryStore().close(); // the store as a crash leaves it: nothing more written by the old engine
        engine.start();
        Map<RecipientState, Integer> recovered = engine.states();
        Thread.sleep(4_000); // let the old engine's thread end, for the fixture's close
        assertEquals(1, recovered.getOrDefault(RecipientState.FROZEN, 0),
                "after the crash the operator's freeze is gone (recovered as " + recovered + "); the server saw END_OF_DATA " + server.count(Command.END_OF_DATA) + " times");
    }
}
