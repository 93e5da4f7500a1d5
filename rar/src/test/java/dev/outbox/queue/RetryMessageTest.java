package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that retrying a message deferred by a connection failure sends it now: the retry also ends
 * its queue's wait for the retry time (a third review found it waited for the queue's retry time).
 */
class RetryMessageTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void retryMessageAfterA421DoesNotRetry() {
        server.script(Rules.on(Command.RCPT).onConnection(1).reply("421 4.3.2 shutting down"));
        MailQueue queue = engine.start();
        String id = engine.submit("soon", "ann@a.example");
        engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.DEFERRED && engine.idle(), "deferred, queue in RETRY");

        assertEquals(1, queue.retryMessage(id), "the operator is told one recipient became due");
        engine.awaitIdle();

        assertEquals(1, server.received().size(), "retried now; state " + engine.states() + ", queue state "
                + engine.transfer().state(engine.clock.millis()));
    }
}
