package dev.outbox.store.journal;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.store.ById;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Review of the lean recovery and the packed delay mark: what a relocated copy and a restart give back. */
class LeanReviewTest {

    @Test
    void aRelocatedMessageKeepsItsMarkStatusesEnvelopeAndExpiry(@TempDir Path directory) throws Exception {
        long segmentBytes = 64 * 1024;
        Envelope envelope = Envelope.of("sender@example.com", "rub@example.org", "b@example.org", "c@EXAMPLE.org");
        StoredMessage keep = new StoredMessage("keep", -5L, Long.MAX_VALUE - 3, envelope,
                List.of(RecipientStatus.QUEUED, RecipientStatus.QUEUED, RecipientStatus.QUEUED));
        Path oldest;
        try (ById store = new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, 1 << 20))) {
            store.recover((m, length) -> { });
            store.add(keep, content("keep", 500));
            store.update("keep", List.of(new RecipientChange(1, deferred(123_456L, 2))), true);
            int small = 0;
            while (segments(directory).size() < 3) {
                store.add(message("s" + small, 1), content("s" + small, 1000));
                small++;
            }
            oldest = segments(directory).get(0);
            for (int i = 0; i < small; i++) {
                store.remove("s" + i);
            }
            ((JournalStore) store.store()).awaitMoves();
            assertFalse(Files.exists(oldest), "moved out of " + oldest);
            assertTrue(store.entry("keep").delayNoticeRecorded(), "mark after the move");
            assertArrayEquals(content("keep", 500), store.content("keep"));
        }
        Map<String, StoredMessage> recovered = new HashMap<>();
        try (ById store = new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, 1 << 20))) {
            store.recover((m, length) -> recovered.put(m.id(), m));
            StoredMessage m = recovered.get("keep");
            assertTrue(m.delayNoticeSent(), "mark after restart");
            assertEquals(envelope, m.envelope());
            assertEquals(-5L, m.submitMillis());
            assertEquals(Long.MAX_VALUE - 3, m.expiryMillis());
            assertEquals(List.of(RecipientStatus.QUEUED, deferred(123_456L, 2), RecipientStatus.QUEUED), m.statuses());
            assertTrue(store.entry("keep").delayNoticeRecorded());
            assertArrayEquals(content("keep", 500), store.content("keep"));
        }
    }

    @Test
    void theMarkAndTheContentOffsetNeverSpillIntoEachOther() {
        dev.outbox.store.StoreEntry entry = new dev.outbox.store.StoreEntry.Own("m");
        entry.delayNoticeRecorded(true);
        entry.placeAt(new Object(), 7, Integer.MAX_VALUE);
        assertTrue(entry.delayNoticeRecorded());
        assertEquals(Integer.MAX_VALUE, entry.contentOffset());
        entry.placeAt(new Object(), 8, 0);
        assertTrue(entry.delayNoticeRecorded(), "placed after the mark");
        assertEquals(0, entry.contentOffset());
        entry.delayNoticeRecorded(false);
        entry.placeAt(new Object(), 9, 1234);
        assertFalse(entry.delayNoticeRecorded());
        entry.delayNoticeRecorded(true);
        assertEquals(1234, entry.contentOffset(), "marked after the place");
        assertTrue(entry.delayNoticeRecorded());
    }
}
