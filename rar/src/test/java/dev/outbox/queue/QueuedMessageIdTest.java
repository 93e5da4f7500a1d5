package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a queued message keeps its id and submit time exactly, whether the id is one the
 * queue issues (held as two longs, its time the submit time) or not (a notice's, an older
 * store's), and that finding by id tells them apart.
 */
class QueuedMessageIdTest {

    private static final TransferQueue QUEUE = new TransferQueue(Destination.smarthost(new NextHop("127.0.0.1", 25)), 0);

    private static QueuedMessage queued(String id, long submitMillis) {
        StoredMessage stored = new StoredMessage(id, submitMillis, submitMillis + 60_000, Envelope.of("a@example.com", "b@example.org"),
                List.of(RecipientStatus.QUEUED));
        return new QueuedMessage(stored, new StoreEntry.Own(id), new TransferQueue[]{QUEUE}, submitMillis);
    }

    @Test
    void anIssuedIdAndItsTimeComeBackAsGiven() {
        String id = new QueueIds(Clock.systemUTC()).next();
        QueuedMessage message = queued(id, QueueIds.millisOf(id));
        assertEquals(id, message.id());
        assertEquals(QueueIds.millisOf(id), message.submitMillis());
        assertTrue(message.hasId(QueuedMessage.IdKey.of(id)));
        assertEquals(id, message.snapshot(0).id());
    }

    @Test
    void aSubmitTimeApartFromTheIdsIsKept() {
        String id = new QueueIds(Clock.systemUTC()).next();
        QueuedMessage message = queued(id, QueueIds.millisOf(id) - 5_000); // stored by an older version, say
        assertEquals(QueueIds.millisOf(id) - 5_000, message.submitMillis());
        assertEquals(id, message.id());
    }

    @Test
    void anIdTheQueueDoesNotIssueIsKeptWhole() {
        String original = new QueueIds(Clock.systemUTC()).next();
        for (String id : List.of(original + "-B0", "m-1", original.toLowerCase(java.util.Locale.ROOT))) {
            QueuedMessage message = queued(id, 1_234);
            assertEquals(id, message.id());
            assertEquals(1_234, message.submitMillis());
            assertTrue(message.hasId(QueuedMessage.IdKey.of(id)), id);
            assertFalse(message.hasId(QueuedMessage.IdKey.of(original)), id + " is not " + original);
        }
        assertFalse(queued(original, 1_234).hasId(QueuedMessage.IdKey.of(original.toLowerCase(java.util.Locale.ROOT))),
                "ids are compared exactly, as before");
    }
}
