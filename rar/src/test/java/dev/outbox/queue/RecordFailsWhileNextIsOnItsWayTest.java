package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.ForwardingStore;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.MemoryStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves what happens when recording a delivery fails unexpectedly (an Error, not the store's
 * own failure, which the ledger handles) while the connection already carries the next message:
 * that message's data never reaches the server on that connection, the connection is dropped,
 * and the next message is retried and arrives once, the recorded one not again.
 */
class RecordFailsWhileNextIsOnItsWayTest {

    private final MemoryStore memory = new MemoryStore();
    private final AtomicBoolean failed = new AtomicBoolean();
    @AutoClose
    private final EngineFixture engine = new EngineFixture(() -> new ForwardingStore(memory) {
        @Override
        public void remove(StoreEntry entry) {
            String id = entry.id();
            if (failed.compareAndSet(false, true)) {
                throw new OutOfMemoryError("no memory to record the delivery");
            }
            super.remove(entry);
        }
    });
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void theNextMessagesDataIsNeverSentAndEachMessageArrivesOnce() {
        engine.hold(); // both queued before the connection opens: it carries "first", then begins "next"
        MailQueue queue = engine.start();
        engine.submit("first", "ann@a.example");
        engine.submit("next", "bob@a.example");
        engine.release();

        engine.await(() -> failed.get() && engine.count(RecipientState.IN_FLIGHT) == 0 && engine.threadsInSmtp().isEmpty()
                && queue.openConnections() == 0, "the connection ended after the failed record");
        assertEquals(1, server.count(Command.END_OF_DATA), "no data after the failed record: " + server.transcript());
        assertEquals(2, server.count(Command.MAIL), "\"next\" had begun: " + server.transcript());

        for (int i = 0; i < 4 && engine.pendingWakeup() != null && server.received().size() < 2; i++) {
            engine.fire();
            engine.await(() -> engine.count(RecipientState.IN_FLIGHT) == 0 && engine.threadsInSmtp().isEmpty(), "settled");
        }
        engine.await(() -> server.received().size() >= 2, "\"next\" arrived on a later connection");
        assertEquals(Map.of("first", 1, "next", 1), EngineFixture.perSubject(server.received()),
                "deliveries per message; transitions " + engine.transitions());
    }
}
