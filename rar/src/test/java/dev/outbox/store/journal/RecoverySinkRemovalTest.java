package dev.outbox.store.journal;

import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of 14e73dd: recovery now counts the live messages of each segment in a tally that is
 * added up only after every message was handed to the sink. MessageStore.recover lets the sink
 * do what it likes with a message it is handed (its contract says nothing against a removal, and
 * before 14e73dd a removal from the sink was safe: each message counted live before it was
 * handed on). A removal from the sink now finds every segment's live count at 0 (or -1), and
 * the reclamation it triggers deletes segments that still hold live messages: data loss.
 */
class RecoverySinkRemovalTest {

    private static final long SEGMENT_BYTES = 64 * 1024;
    private static final int MAX_RECORD = 1024 * 1024;

    @Test
    void removingARecoveredMessageFromTheSinkLosesNoOtherMessage(@TempDir Path directory) throws Exception {
        List<String> ids = new ArrayList<>();
        try (JournalStore store = new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD)) {
            store.recover((m, length) -> { });
            for (int i = 0; i < 300; i++) {
                String id = "m-" + i;
                store.add(message(id, 1), content(id, 1000));
                ids.add(id);
            }
        }
        int segmentsBefore = segments(directory).size();
        assertTrue(segmentsBefore >= 4, "messages over several segments: " + segments(directory));

        List<String> handed = new ArrayList<>();
        try (JournalStore store = new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD)) {
            store.recover((stored, length) -> {
                handed.add(stored.id());
                if (stored.id().equals("m-0")) {
                    store.remove(stored.id()); // say, a recovered message found finished
                }
            });
            assertEquals(ids, handed);
            for (String id : ids.subList(1, ids.size())) {
                assertArrayEquals(content(id, 1000), store.content(id), "content of " + id + " after the sink removed m-0");
            }
        }

        List<String> again = new ArrayList<>();
        try (JournalStore store = new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD)) {
            store.recover((stored, length) -> again.add(stored.id()));
            assertEquals(ids.subList(1, ids.size()), again, "messages recovered after a restart");
            for (String id : again) {
                assertArrayEquals(content(id, 1000), store.content(id), "content of " + id);
            }
        }
    }
}
