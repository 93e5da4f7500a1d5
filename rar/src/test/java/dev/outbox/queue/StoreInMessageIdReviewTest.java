package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of the id as two longs (branch store-in-message). {@link QueueIds#isCompact} accepts any
 * 26-character id whose time fits 48 bits, but {@link QueuedMessage} tells a compact id from one
 * kept in its notes by {@code idHigh < 0}: an id whose time has bit 47 set (first character 4..7,
 * a valid ULID) makes {@code idHigh} negative, so the message has no id (null, or a
 * NullPointerException) and its admission fails ({@code takeOver} compares the ids).
 */
class StoreInMessageIdReviewTest {

    private static final TransferQueue QUEUE = new TransferQueue(Destination.smarthost(new NextHop("127.0.0.1", 25)), 0);

    private static QueuedMessage queued(String id, long submitMillis) {
        StoredMessage stored = new StoredMessage(id, submitMillis, submitMillis + 60_000, Envelope.of("a@example.com", "b@example.org"),
                List.of(RecipientStatus.QUEUED));
        return new QueuedMessage(stored, new StoreEntry.Own(id), new TransferQueue[]{QUEUE}, submitMillis);
    }

    @Test
    void anIdWhoseTimeHasItsTopBitSetIsKeptWhole() {
        // The largest ULID, and the first whose time reaches 2^47 ms: both canonical, upper case, 26 characters.
        for (String id : List.of("7ZZZZZZZZZZZZZZZZZZZZZZZZZ", "40000000000000000000000000")) {
            long millis = QueueIds.millisOf(id);
            QueuedMessage message = queued(id, millis);
            assertEquals(id, message.id(), "id of " + id);
            assertEquals(millis, message.submitMillis(), "submit time of " + id);
            assertTrue(message.hasId(QueuedMessage.IdKey.of(id)), id);
            assertEquals(id, message.snapshot(0).id());
        }
    }

    @Test
    void anIdJustBelowTheTopBitStaysCompactAndExact() {
        String id = "3ZZZZZZZZZZZZZZZZZZZZZZZZZ";
        assertTrue(QueueIds.isCompact(id));
        QueuedMessage message = queued(id, QueueIds.millisOf(id));
        assertEquals(id, message.id());
        assertEquals(QueueIds.millisOf(id), message.submitMillis());
        assertFalse(message.hasId(QueuedMessage.IdKey.of("3ZZZZZZZZZZZZZZZZZZZZZZZZY")));
    }

    @Test
    void badIdsAreNeverCompact() {
        for (String id : List.of("", "0", "01ARZ3NDEKTSV4RRFFQ69G5FA", "01ARZ3NDEKTSV4RRFFQ69G5FAVX", "01arz3ndektsv4rrffq69g5fav",
                "01ARZ3NDEKTSV4RRFFQ69G5FAÜ", "01ARZ3NDEKTSV4RRFFQ69G5FAI", "01ARZ3NDEKTSV4RRFFQ69G5FA\u0660",
                "80000000000000000000000000", "ZZZZZZZZZZZZZZZZZZZZZZZZZZ")) {
            assertFalse(QueueIds.isCompact(id), id);
            QueuedMessage message = queued(id, 1_234);
            assertEquals(id, message.id());
            assertEquals(1_234, message.submitMillis());
            assertTrue(message.hasId(QueuedMessage.IdKey.of(id)), id);
        }
    }
}
