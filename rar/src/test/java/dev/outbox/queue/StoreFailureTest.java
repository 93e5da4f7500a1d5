package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.MemoryStore.Operation;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a store write failing when a delivery is recorded sends nothing twice: not while
 * running, and not after a restart once the sweep has written it again.
 */
class StoreFailureTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void failedRemovalOfADeliveredMessageIsWrittenAgainByTheSweepAndNotSentAfterRestart() {
        MailQueue queue = engine.start();
        engine.memoryStore().failNext(Operation.REMOVE, 1);

        String id = engine.submit("once", "ann@a.example");
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> engine.memoryStore().calls(Operation.REMOVE) == 1 && queue.openConnections() == 0, "the removal was tried and failed");
        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "ann@a.example"));
        assertEquals(1, engine.store().messageCount(), "the failed removal left it in the store");
        assertEquals(1, queue.ledger.unrecordedWrites());

        // Later mail to the same next hop goes out alone: the delivered message is not sent again while running.
        engine.submit("next", "bob@a.example");
        engine.await(() -> queue.deliveredCount() == 2, "the next message delivered");
        assertEquals(List.of("once", "next"), subjects(server.received()));

        assertEquals(0, queue.sweep());
        assertEquals(0, engine.store().messageCount(), "the sweep removed it");
        assertEquals(0, queue.ledger.recordAgain());

        engine.restart();
        engine.submit("after restart", "cy@a.example");
        server.awaitReceived(3, EngineFixture.WAIT);
        engine.await(() -> engine.store().messageCount() == 0, "the store empties");
        assertEquals(List.of("once", "next", "after restart"), subjects(server.received()), "nothing sent again after the restart");
        assertEquals(1, server.received().stream().filter(m -> m.recipients().contains("ann@a.example")).count());
    }

    @Test
    void failedUpdateOfAPartialDeliveryIsWrittenAgainByTheSweepAndOnlyTheDeferredRecipientIsSentAfterRestart() {
        server.script(Rules.on(Command.RCPT).onConnection(1).when(e -> e.argument().contains("bob@")).reply("451 4.3.0 try later"));
        MailQueue queue = engine.start();
        engine.memoryStore().failNext(Operation.UPDATE, 1);

        String id = engine.submit("partial", "ann@a.example", "bob@a.example");
        engine.await(() -> engine.lastState(id, "bob@a.example") == RecipientState.DEFERRED && queue.openConnections() == 0,
                "bob deferred, connection closed");
        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "ann@a.example"));
        assertEquals(1, engine.memoryStore().calls(Operation.UPDATE));
        assertEquals(0, engine.memoryStore().completed(Operation.UPDATE), "the outcome was not recorded");
        assertEquals(1, queue.ledger.unrecordedWrites());

        assertEquals(0, queue.sweep());
        assertEquals(1, engine.memoryStore().completed(Operation.UPDATE), "the sweep recorded it");
        assertEquals(1, engine.store().messageCount(), "bob is still to be delivered");

        engine.restart();
        engine.clock.advance(Duration.ofMinutes(1)); // bob's time has come after the restart
        engine.queue().wake(engine.transfer().name());

        List<Received> received = server.awaitReceived(2, EngineFixture.WAIT);
        engine.await(() -> engine.store().messageCount() == 0, "the store empties");
        assertEquals(List.of("ann@a.example"), received.get(0).recipients());
        assertEquals(List.of("bob@a.example"), received.get(1).recipients(), "ann is not sent again after the restart");
        assertEquals(2, server.received().size());
    }

    private static List<String> subjects(List<Received> received) {
        return received.stream().map(m -> m.header("Subject").orElse("?")).toList();
    }
}
