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
        return queued(id, submitMillis, submitMillis + 60_000);
    }

    private static QueuedMessage queued(String id, long submitMillis, long expiryMillis) {
        StoredMessage stored = new StoredMessage(id, submitMillis, expiryMillis, Envelope.of("a@example.com", "b@example.org"),
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

    @Test
    void everyExpiryComesBackToTheMillisecond() {
        String id = new QueueIds(Clock.systemUTC()).next();
        long submit = QueueIds.millisOf(id);
        long day = 86_400_000L;
        for (long after : new long[]{0, 1, 60_000, 2 * day, Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, 30 * day, 30 * day + 1, 365 * day,
                365 * day + 7, -5_000, Long.MAX_VALUE - submit}) {
            QueuedMessage message = queued(id, submit, submit + after);
            assertEquals(submit + after, message.expiryMillis(), "expiry " + after + " ms after submit");
            assertEquals(submit + after, message.snapshot(0).expiryMillis(), "as an operator sees it");
        }
        QueuedMessage apart = queued(id, submit - 9_000, submit + 365 * day + 3); // a submit time apart from the id's too
        assertEquals(submit - 9_000, apart.submitMillis());
        assertEquals(submit + 365 * day + 3, apart.expiryMillis());
    }

    @Test
    void aMessageIsLiveOnlyWhileTheLedgerHoldsIt() {
        QueuedMessage message = queued(new QueueIds(Clock.systemUTC()).next(), 1_000);
        assertFalse(message.live(), "made, not yet linked");
        message.older = null; // linked as the oldest, as RecipientLedger.link does
        assertTrue(message.live());
        message.unlinked();
        assertFalse(message.live());
        assertEquals(null, message.newer);
    }
}
