package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.MemoryStore;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A store write that failed is kept in memory ("unrecorded") and written again only by the
 * sweep. stop() closes the store without writing them: an outcome the engine knew (the server
 * said 250) is lost by an orderly stop, and the restart sends the message again. DESIGN.md
 * allows a duplicate only for a message in flight when the server died, or a connection broken
 * between the dot and the reply; this one was neither, and stop() promises to "record every
 * outcome, then close the store".
 */
class StopUnrecordedTest {

    @AutoClose
    private final ReviewEngine engine = new ReviewEngine();
    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void anOutcomeWhoseWriteFailedIsRecordedByAnOrderlyStop() {
        QueuePolicy policy = ReviewEngine.policy("1m", 1, 100, 8, Duration.ofMinutes(10));
        MailQueue queue = engine.start(policy, ReviewEngine.to(server));
        engine.store.failNext(MemoryStore.Operation.REMOVE, 1); // the write of the final outcome fails once

        String id = engine.submit("once", "ann@a.example");
        server.awaitReceived(1, ReviewEngine.WAIT);
        engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.DELIVERED && queue.openConnections() == 0,
                "delivered");
        assertEquals(1, queue.ledger.unrecordedWrites(), "the failed write is known to the engine");

        queue.stop(2_000); // orderly: the store works again, nothing is in flight
        int storedAfterStop = engine.store.messageCount();
        MailQueue restarted = engine.restart(policy, ReviewEngine.to(server));
        engine.await(() -> restarted.openConnections() == 0 && engine.count(RecipientState.IN_FLIGHT) == 0, "idle after restart");

        assertEquals(Map.of("once", 1), ReviewEngine.perSubject(server.received()),
                "deliveries acknowledged by the server; messages the store held after stop(): " + storedAfterStop);
    }
}
