package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.QueueFullException;
import dev.outbox.store.StoreException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The journal's failure paths, driven through a file system with faults ({@link FaultyFiles}):
 * a failed sync, a short write on a full disk, a failed reclaim. After each, the store is opened
 * again on the real file system: every acknowledged add is found whole, nothing of a failed one.
 */
class JournalFaultTest {

    static final long SEGMENT_BYTES = 64 * 1024;
    static final int MAX_RECORD_BYTES = 1024 * 1024;

    /** A failed sync fails the add, and the removal record written after it keeps it from coming back. */
    @Test
    void anAddWhoseSyncFailedIsWithdrawnAndNotRecovered(@TempDir Path directory) throws Exception {
        FaultyFiles files = new FaultyFiles();
        Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (ById store = open(directory, files)) {
            add(store, "a", acknowledged);
            add(store, "b", acknowledged);
            files.failSyncs(1);
            StoreException failed = assertThrows(StoreException.class, () -> store.add(message("c", 1), content("c", 500)));
            assertEquals(1, files.fired.get(), "the sync of c's batch failed");
            assertFalse(failed.getMessage().contains("may be recovered"), failed.getMessage());
            add(store, "d", acknowledged);
        }
        assertRecoveredExactly(directory, acknowledged);
    }

    /** A write cut short by a full disk breaks its segment: the next record goes to a new one, and the torn one never comes back. */
    @Test
    void aFailedWriteBreaksTheSegmentAndTheNextRecordGoesToANewOne(@TempDir Path directory) {
        FaultyFiles files = new FaultyFiles();
        byte[] x = body('x', 100);
        byte[] z = body('z', 100);
        Journal.Position first;
        Journal.Position after;
        try (Journal journal = new Journal(directory, 1 << 20, MAX_RECORD_BYTES, files)) {
            journal.scan((position, body) -> { });
            first = journal.append(ByteBuffer.wrap(x));
            files.failWriteOfAtLeast(2 * BatchWriter.BLOCK);
            assertThrows(StoreException.class, () -> journal.append(ByteBuffer.wrap(body('y', 3 * BatchWriter.BLOCK))));
            assertEquals(1, files.fired.get(), "y's write was cut short");
            after = journal.append(ByteBuffer.wrap(z));
        }
        assertNotEquals(first.segment(), after.segment(), "z went after the torn record, into the broken segment");
        List<byte[]> found = new ArrayList<>();
        try (Journal journal = new Journal(directory, 1 << 20, MAX_RECORD_BYTES)) {
            journal.scan((position, body) -> {
                byte[] bytes = new byte[body.remaining()];
                body.duplicate().get(bytes);
                found.add(bytes);
            });
        }
        assertEquals(2, found.size(), "records found: " + found.size());
        assertArrayEquals(x, found.get(0));
        assertArrayEquals(z, found.get(1));
    }

    /** A disk that fills during the write refuses the add as full, keeps nothing of it, and takes adds again once it has room. */
    @Test
    void aFullDiskRefusesTheAddAndKeepsNothingOfIt(@TempDir Path directory) throws Exception {
        FaultyFiles files = new FaultyFiles();
        Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (ById store = open(directory, files)) {
            add(store, "a", acknowledged);
            files.usableSpace(0).failWriteOfAtLeast(0);
            assertThrows(QueueFullException.class, () -> store.add(message("full", 1), content("full", 20_000)));
            assertEquals(1, files.fired.get(), "the write of the add met a full disk");
            files.usableSpace(-1);
            add(store, "b", acknowledged);
            assertEquals(2, store.messageCount());
        }
        assertRecoveredExactly(directory, acknowledged);
    }

    /**
     * Moving the last live messages out of a mostly dead segment fails (its write is cut short):
     * the removal that set it off still succeeds, the messages stay readable where they were,
     * and a restart recovers exactly the live ones.
     */
    @Test
    void aFailedReclaimCostsOnlySpace(@TempDir Path directory) throws Exception {
        FaultyFiles files = new FaultyFiles();
        Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (ById store = open(directory, files)) {
            for (int i = 0; i < 100; i++) {
                add(store, "m-" + i, acknowledged);
            }
            files.failWriteOfAtLeast(3 * BatchWriter.BLOCK); // larger than any removal's write, smaller than a move of many messages
            for (int i = 2; i < 20; i++) {
                store.remove("m-" + i); // the oldest segment holds about 30: half of it is dead before this loop ends
                acknowledged.remove("m-" + i);
            }
            ((JournalStore) store.store()).awaitMoves(); // moves run on the mover's thread
            assertEquals(1, files.fired.get(), "the move out of the oldest segment was cut short");
            for (Map.Entry<String, byte[]> message : acknowledged.entrySet()) {
                assertArrayEquals(message.getValue(), store.content(message.getKey()), message.getKey());
            }
        }
        assertRecoveredExactly(directory, acknowledged);
    }

    /**
     * Deleting a dead segment fails and its file stays. Reclamation must not then delete a later
     * segment that holds the removals of that file's messages: at the next start the file is
     * scanned again, and every message in it whose removal went with the later segment would come
     * back and be delivered a second time.
     */
    @Test
    void aFailedSegmentDeletionResurrectsNothing(@TempDir Path directory) throws Exception {
        FaultyFiles files = new FaultyFiles();
        Map<String, byte[]> acknowledged = new LinkedHashMap<>();
        try (ById store = open(directory, files)) {
            for (int i = 0; i < 40; i++) {
                add(store, "m-" + i, acknowledged); // segment 1 holds about 30, the rest start segment 2
            }
            files.failSegmentDeletes(1);
            for (int i = 0; i < 40; i++) {
                store.remove("m-" + i); // removals go to segment 2; segment 1 dies, and its deletion fails
                acknowledged.remove("m-" + i);
            }
            assertEquals(1, files.fired.get(), "the deletion of segment 1 failed");
            for (int i = 40; i < 140; i++) {
                add(store, "m-" + i, acknowledged); // past segment 2, into later ones
            }
            for (int i = 40; i < 140; i++) {
                store.remove("m-" + i); // segment 2 dies too, with the removals of segment 1's messages
                acknowledged.remove("m-" + i);
            }
        }
        assertRecoveredExactly(directory, acknowledged);
    }

    /**
     * Setting a torn tail aside fails half-way (a full disk): the open fails. The next open must
     * still copy the whole tail to {@code corrupt/} before it cuts the segment back, since that
     * copy is all that is left of the record; a half copy from the failed open must not pass for
     * one "reported at an earlier start".
     */
    @Test
    void aFailedSetAsideIsNotTakenForADoneOne(@TempDir Path directory) throws Exception {
        Journal.Position last;
        try (Journal journal = new Journal(directory, SEGMENT_BYTES, MAX_RECORD_BYTES)) {
            journal.scan((position, body) -> { });
            journal.append(ByteBuffer.wrap(body('a', 1000)));
            last = journal.append(ByteBuffer.wrap(body('b', 1000)));
        }
        Path segment = directory.resolve(String.format("%016x.journal", last.segment()));
        long tornBytes;
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(segment,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(new byte[]{'x'}), last.offset() + Journal.RECORD_HEADER + 500); // its checksum fails
            tornBytes = channel.size() - last.offset();
        }
        FaultyFiles files = new FaultyFiles().failTransfers(1);
        assertThrows(StoreException.class, () -> new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD_BYTES, files)).recover((m, length) -> { }));
        assertEquals(1, files.fired.get(), "the copy to corrupt/ was cut short");
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD_BYTES))) {
            store.recover((m, length) -> { });
        }
        Path setAside = directory.resolve("corrupt").resolve(segment.getFileName() + "-" + last.offset() + ".bad");
        assertEquals(tornBytes, java.nio.file.Files.size(setAside), "the whole torn record was set aside");
    }

    private static ById open(Path directory, FaultyFiles files) {
        ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD_BYTES, files));
        store.recover((message, length) -> { });
        return store;
    }

    private static void add(ById store, String id, Map<String, byte[]> acknowledged) throws QueueFullException {
        byte[] content = content(id, 2000);
        store.add(message(id, 1), content);
        acknowledged.put(id, content);
    }

    /** Opens the store on the real file system: exactly the acknowledged messages, whole. */
    private static void assertRecoveredExactly(Path directory, Map<String, byte[]> acknowledged) throws Exception {
        List<String> ids = new ArrayList<>();
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD_BYTES))) {
            store.recover((message, length) -> ids.add(message.id()));
            assertEquals(new ArrayList<>(acknowledged.keySet()), ids.stream().sorted(JournalFaultTest::byNumber).toList());
            for (Map.Entry<String, byte[]> message : acknowledged.entrySet()) {
                assertArrayEquals(message.getValue(), store.content(message.getKey()), message.getKey());
            }
        }
    }

    private static int byNumber(String a, String b) {
        return a.length() != b.length() ? Integer.compare(a.length(), b.length()) : a.compareTo(b);
    }

    private static byte[] body(char fill, int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) fill);
        return bytes;
    }
}
