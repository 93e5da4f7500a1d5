package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.MemoryStore;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that an orderly stop records an outcome whose store write failed (the server said 250),
 * so the restart does not send the message again (a review found stop() closed the store
 * without writing it, a duplicate DESIGN.md does not allow).
 */
class StopUnrecordedTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void anOutcomeWhoseWriteFailedIsRecordedByAnOrderlyStop() {
        MailQueue queue = engine.start();
        engine.memoryStore().failNext(MemoryStore.Operation.REMOVE, 1); // the write of the final outcome fails once

        String id = engine.submit("once", "ann@a.example");
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.DELIVERED && queue.openConnections() == 0,
                "delivered");
        assertEquals(1, queue.ledger.unrecordedWrites(), "the failed write is known to the engine");

        queue.stop(2_000); // orderly: the store works again, nothing is in flight
        int storedAfterStop = engine.store().messageCount();
        MailQueue restarted = engine.restart();
        engine.await(() -> restarted.openConnections() == 0 && engine.count(RecipientState.IN_FLIGHT) == 0, "idle after restart");

        assertEquals(Map.of("once", 1), EngineFixture.perSubject(server.received()),
                "deliveries acknowledged by the server; messages the store held after stop(): " + storedAfterStop);
    }
}
