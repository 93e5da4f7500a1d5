package dev.outbox.store.journal;

import dev.outbox.store.ById;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that the guess recovery sizes the store's index by is near the number of messages the
 * journal holds, counts only the records asked for, and costs nothing when there is nothing to go
 * by or the journal is damaged: recovery then scans, and says what is wrong, as before.
 */
class JournalExpectedRecordsTest {

    private static final long SEGMENT_BYTES = 256 * 1024;
    private static final int MAX_RECORD = 1024 * 1024;

    private static long expectedMessages(Path directory) {
        try (Journal journal = new Journal(directory, SEGMENT_BYTES, MAX_RECORD)) {
            return journal.expectedRecords(body -> JournalRecords.type(body) == JournalRecords.MESSAGE);
        }
    }

    @Test
    void guessesTheMessagesOfAJournalOfSeveralSegmentsWithinAFewPercent(@TempDir Path directory) throws Exception {
        int messages = 2000;
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD))) {
            store.recover((m, length) -> { });
            for (int i = 0; i < messages; i++) {
                store.add(message("m" + i, 1), content("m" + i, 500));
                if (i % 10 == 0) {
                    store.remove("m" + i); // other records between: not counted as messages
                }
            }
        }
        long expected = expectedMessages(directory);
        assertTrue(Math.abs(expected - messages) < messages / 20, "guessed " + expected + " for " + messages + " messages");
    }

    @Test
    void guessesNothingForAnEmptyJournal(@TempDir Path directory) {
        assertEquals(0, expectedMessages(directory));
    }

    @Test
    void guessesNothingForASegmentOfGarbageAndRecoveryStillSetsItAside(@TempDir Path directory) throws Exception {
        Files.write(directory.resolve(String.format("%016x%s", 1, SegmentSet.SUFFIX)), new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        assertEquals(0, expectedMessages(directory));

        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD))) {
            List<String> recovered = new ArrayList<>();
            store.recover((m, length) -> recovered.add(m.id()));
            assertEquals(List.of(), recovered);
            assertEquals(1, store.corruptRecords(), "the garbage segment is set aside and counted");
        }
    }
}
