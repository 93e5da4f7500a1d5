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
 * A server that takes the data with a 2xx other than 250 (RFC 5321 section 4.2.1: the first
 * digit decides; SmtpSession's own doc: "delivered only if the server took the data with 2xx")
 * has accepted the message. Outbox must not send it again.
 */
class Non250SuccessTest {

    @AutoClose
    private final ReviewEngine engine = new ReviewEngine();
    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void aMessageAcceptedWith251AfterTheDotIsDeliveredOnce() {
        server.script(Rules.on(Command.END_OF_DATA).reply("251 2.0.0 Ok: queued as 1"));
        MailQueue queue = engine.start(ReviewEngine.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), ReviewEngine.to(server));

        String id = engine.submit("two-xx", "ann@a.example");
        server.awaitReceived(1, ReviewEngine.WAIT);
        engine.await(() -> queue.openConnections() == 0 && engine.count(RecipientState.IN_FLIGHT) == 0, "the attempt settled");

        // Drive the retry clock for an hour of simulated time, as the EJB timers would.
        for (int i = 0; i < 3 && engine.pending.containsKey(engine.queueOf(server).name()); i++) {
            engine.fire(server);
            engine.await(() -> queue.openConnections() == 0 && engine.count(RecipientState.IN_FLIGHT) == 0, "the attempt settled");
        }

        assertEquals(Map.of("two-xx", 1), ReviewEngine.perSubject(server.received()),
                "the server accepted the message (2xx after the dot) and got it again; last state " + engine.lastState(id, "ann@a.example")
                        + "; " + engine.describe());
        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "ann@a.example"));
    }
}
