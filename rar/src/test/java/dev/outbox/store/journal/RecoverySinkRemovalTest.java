package dev.outbox.store.journal;

import dev.outbox.store.ById;
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
 * Review of 14e73dd (found there; the defect is older): MessageStore.recover lets the sink do
 * what it likes with a message it is handed (its contract says nothing against a removal), but
 * a removal from the sink triggers a reclamation while the segments' live counts are not all
 * made. Before 14e73dd each message counted live just before it was handed on, so removing the
 * first deleted the first segment with every later message in it; since 14e73dd the counts are
 * added up only after the last message was handed on, so every segment but the current one reads
 * 0 live and goes. Either way segments that still hold live messages are deleted: data loss.
 * Fails on HEAD and on 14e73dd^ alike (other segment, same loss).
 */
class RecoverySinkRemovalTest {

    private static final long SEGMENT_BYTES = 64 * 1024;
    private static final int MAX_RECORD = 1024 * 1024;

    @Test
    void removingARecoveredMessageFromTheSinkLosesNoOtherMessage(@TempDir Path directory) throws Exception {
        List<String> ids = new ArrayList<>();
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD))) {
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
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD))) {
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
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD))) {
            store.recover((stored, length) -> again.add(stored.id()));
            assertEquals(ids.subList(1, ids.size()), again, "messages recovered after a restart");
            for (String id : again) {
                assertArrayEquals(content(id, 1000), store.content(id), "content of " + id);
            }
        }
    }
}
