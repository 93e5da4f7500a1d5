package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the operator's transitions on a whole transfer queue: a frozen queue sends nothing
 * more while its next hop is up, counts nothing as overdue, stays frozen across a restart, and
 * delivers everything once unfrozen; retry-now ends a RETRY wait at once but does nothing to a
 * frozen queue; delete-all deletes only that queue's recipients.
 */
class QueueOperationsTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aFrozenQueueHoldsItsMailAcrossARestartAndDeliversItWhenUnfrozen() {
        server.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofMillis(300)));
        MailQueue queue = engine.start();
        for (int n = 0; n < 5; n++) {
            engine.submit("held " + n, "r" + n + "@a.example");
        }
        server.awaitReceived(1, EngineFixture.WAIT);
        String destination = EngineFixture.destination(server);

        queue.freezeQueue(destination);
        engine.awaitIdle();
        int sent = server.received().size();
        assertTrue(sent < 5, "the connection took no more after the freeze: " + sent);
        assertEquals(QueueState.FROZEN, engine.transfer().state(engine.clock.millis()));
        engine.clock.advance(Duration.ofMinutes(5));
        assertEquals(0, queue.overdueRecipients(), "held mail is not overdue");
        assertEquals(0, queue.sweep());
        assertEquals(0, queue.retryQueue(destination), "retry now does nothing to a frozen queue");
        engine.awaitIdle();
        assertEquals(sent, server.received().size(), "nothing sent while frozen");

        MailQueue restarted = engine.restart();
        engine.awaitIdle();
        assertEquals(QueueState.FROZEN, engine.transfer().state(engine.clock.millis()), "still frozen after the restart");
        assertEquals(sent, server.received().size(), "nothing sent at the restart");

        restarted.unfreezeQueue(destination);
        server.awaitReceived(5, EngineFixture.WAIT);
        engine.await(() -> restarted.messageCount() == 0 && engine.idle(), "all delivered");
        EngineFixture.assertEachOnce(List.of("held 0", "held 1", "held 2", "held 3", "held 4"),
                EngineFixture.perSubject(server.received()));
    }

    @Test
    void retryNowEndsTheWaitForTheRetryTime() {
        server.script(Rules.on(Command.CONNECT).onConnection(1).reply("421 4.3.2 not now"));
        MailQueue queue = engine.start();
        engine.submit("now", "ann@a.example");
        engine.await(() -> engine.transfer().state(engine.clock.millis()) == QueueState.RETRY && engine.idle(), "in RETRY");

        queue.retryQueue(EngineFixture.destination(server));

        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> queue.messageCount() == 0 && engine.idle(), "delivered without waiting for the retry time");
    }

    @Test
    void deleteAllDeletesOnlyThatQueuesRecipients() {
        ScriptedSmtpServer other = engine.server("b.example");
        server.script(Rules.on(Command.CONNECT).reply("421 4.3.2 not now"));
        other.script(Rules.on(Command.CONNECT).reply("421 4.3.2 not now"));
        MailQueue queue = engine.start();
        String id = engine.submit("two queues", "ann@a.example", "bob@b.example");
        engine.await(() -> engine.transfer(server).state(engine.clock.millis()) == QueueState.RETRY
                && engine.transfer(other).state(engine.clock.millis()) == QueueState.RETRY && engine.idle(), "both in RETRY");

        assertEquals(1, queue.deleteQueue(EngineFixture.destination(server)));

        assertEquals(RecipientState.DELETED, engine.lastState(id, "ann@a.example"));
        assertEquals(Map.of(RecipientState.QUEUED, 1, RecipientState.DELETED, 1), engine.states(), "bob still waits for b.example");
        assertEquals(1, queue.messageCount());
    }

    @Test
    void anUnknownQueueIsRefusedWithItsName() {
        MailQueue queue = engine.start();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> queue.freezeQueue("nowhere.example:25"));

        assertTrue(e.getMessage().startsWith("there is no transfer queue \"nowhere.example:25\""), e.getMessage());
    }
}
