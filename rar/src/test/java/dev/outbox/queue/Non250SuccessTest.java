package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a message the server takes with a 2xx other than 250 after the dot (RFC 5321
 * section 4.2.1: the first digit decides) is delivered once and not sent again.
 */
class Non250SuccessTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aMessageAcceptedWith251AfterTheDotIsDeliveredOnce() {
        server.script(Rules.on(Command.END_OF_DATA).reply("251 2.0.0 Ok: queued as 1"));
        MailQueue queue = engine.start();

        String id = engine.submit("two-xx", "ann@a.example");
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> queue.openConnections() == 0 && engine.count(RecipientState.IN_FLIGHT) == 0, "the attempt settled");

        // Drive the retry clock for an hour of simulated time, as the EJB timers would.
        for (int i = 0; i < 3 && engine.pendingWakeup() != null; i++) {
            engine.fire();
            engine.await(() -> queue.openConnections() == 0 && engine.count(RecipientState.IN_FLIGHT) == 0, "the attempt settled");
        }

        assertEquals(Map.of("two-xx", 1), EngineFixture.perSubject(server.received()),
                "the server accepted the message (2xx after the dot) and got it again; last state " + engine.lastState(id, "ann@a.example")
                        + "; " + engine.describe());
        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "ann@a.example"));
    }
}
