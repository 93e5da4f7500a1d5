package dev.outbox.store.journal;

import dev.outbox.api.RecipientState;
import dev.outbox.store.MessageStore;
import dev.outbox.store.MessageStoreContract;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.done;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.TestMessages.withStatuses;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JournalStore keeps the MessageStore contract, and gives back the disk space of finished messages. */
class JournalStoreTest implements MessageStoreContract {

    /** Small segments, so that a few hundred messages span several of them. */
    static final long SEGMENT_BYTES = 64 * 1024;
    static final int MAX_RECORD_BYTES = 1024 * 1024;

    @Override
    public MessageStore createStore(Path directory, long maxBytes) {
        return new JournalStore(directory, SEGMENT_BYTES, maxBytes, MAX_RECORD_BYTES);
    }

    @Test
    void removingEveryMessageDeletesOldSegmentsAndShrinksTheStore(@TempDir Path directory) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Opened opened = open(directory)) {
            MessageStore store = opened.store();
            for (int i = 0; i < 300; i++) {
                String id = "bulk-" + i;
                store.add(message(id, 2), content(id, 1000));
                ids.add(id);
            }
            List<Path> before = segments(directory);
            long sizeBefore = store.sizeBytes();
            assertTrue(before.size() >= 5, "300 messages of 1000 bytes in segments of " + SEGMENT_BYTES + " bytes: " + before);

            for (String id : ids) {
                store.remove(id);
            }
            List<Path> after = segments(directory);
            assertTrue(after.size() <= 2, "segments left after removing everything: " + after);
            assertFalse(Files.exists(before.get(0)), "the oldest segment " + before.get(0) + " is still there");
            assertTrue(store.sizeBytes() < sizeBefore / 2, "store of " + store.sizeBytes() + " bytes, was " + sizeBefore);
            assertTrue(store.sizeBytes() <= 2 * SEGMENT_BYTES, "store of " + store.sizeBytes() + " bytes");
            assertEquals(0, store.messageCount());

            try (Opened again = reopen(store, directory)) {
                assertEquals(List.of(), again.recoveredIds());
                assertEquals(0, again.store().messageCount());
                assertTrue(again.store().sizeBytes() <= 2 * SEGMENT_BYTES, "store of " + again.store().sizeBytes() + " bytes after reopen");
            }
        }
    }

    @Test
    void longLivedMessageIsMovedOutOfTheOldestSegmentWithItsLatestStatuses(@TempDir Path directory) throws Exception {
        StoredMessage pin = message("pin", 2);
        byte[] pinContent = content("pin", 3000);
        try (Opened opened = open(directory)) {
            MessageStore store = opened.store();
            store.add(pin, pinContent);
            store.update("pin", List.of(new RecipientChange(0, deferred(1_000, 1))));
            Path oldest = segments(directory).get(0);

            int rounds = 0;
            while (Files.exists(oldest) && rounds < 30) {
                for (int i = 0; i < 40; i++) {
                    String id = "churn-" + rounds + "-" + i;
                    store.add(message(id, 1), content(id, 1000));
                }
                store.update("pin", List.of(new RecipientChange(1, deferred(2_000 + rounds, rounds + 1))));
                for (int i = 0; i < 40; i++) {
                    store.remove("churn-" + rounds + "-" + i);
                }
                rounds++;
            }
            assertFalse(Files.exists(oldest), "after " + rounds + " rounds of 40 messages added and removed, "
                    + oldest + " is still pinned by one live message; segments: " + segments(directory));
            assertEquals(1, store.messageCount());
            assertArrayEquals(pinContent, store.content("pin"), "content of the moved message");
            assertTrue(segments(directory).size() <= 3, "segments left: " + segments(directory));

            // A change after the move, then a restart.
            store.update("pin", List.of(new RecipientChange(0, done(RecipientState.DELIVERED, 2))));
            List<RecipientStatus> latest = List.of(done(RecipientState.DELIVERED, 2), deferred(2_000 + rounds - 1, rounds));
            try (Opened again = reopen(store, directory)) {
                assertEquals(List.of(withStatuses(pin, latest)), again.recovered());
                assertArrayEquals(pinContent, again.store().content("pin"));
                assertFalse(Files.exists(oldest));
                // Still removable after the move: nothing of it comes back.
                again.store().remove("pin");
                try (Opened third = reopen(again.store(), directory)) {
                    assertEquals(List.of(), third.recovered());
                }
            }
        }
    }

    @Test
    void aMessageWrittenUnderALargerSizeLimitComesBackAfterTheLimitWasLowered(@TempDir Path directory) throws Exception {
        try (JournalStore store = new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES)) {
            store.recover(m -> { });
            store.add(message("small", 1), content("small", 1000));
            store.add(message("large", 1), content("large", 300_000));
            store.add(message("after", 1), content("after", 1000));
        }
        List<String> recovered = new ArrayList<>();
        try (JournalStore store = new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, 100_000)) { // the operator lowered the limit
            store.recover(m -> recovered.add(m.id()));
            assertEquals(List.of("small", "large", "after"), recovered);
            assertArrayEquals(content("large", 300_000), store.content("large"));
            assertEquals(0, store.corruptRecords(), "nothing set aside");
        }
    }
}
