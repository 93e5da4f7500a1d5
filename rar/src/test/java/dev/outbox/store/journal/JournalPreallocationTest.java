package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.QueueFullException;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.journal.SegmentFiles.corrupt;
import static dev.outbox.store.journal.SegmentFiles.records;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static dev.outbox.store.journal.SegmentFiles.size;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Segments are written into preallocated, zeroed space: what a crash leaves of that space (a
 * zero tail, a batch cut off between two synced ones, a half-prepared spare) is never taken for
 * damage, and every record written around it is recovered.
 */
class JournalPreallocationTest {

    private static final long SEGMENT_BYTES = 256 * 1024;
    private static final int CONTENT = 300;

    private static ById open(Path directory, List<StoredMessage> recovered) {
        ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, 1024 * 1024));
        store.recover((m, length) -> recovered.add(m));
        return store;
    }

    private static List<StoredMessage> fill(Path directory, int messages) throws QueueFullException {
        List<StoredMessage> added = new ArrayList<>();
        try (ById store = open(directory, new ArrayList<>())) {
            for (int i = 0; i < messages; i++) {
                StoredMessage m = message("m" + i, 1);
                store.add(m, content(m.id(), CONTENT));
                added.add(m);
            }
        }
        return added;
    }

    private static void appendZeros(Path file, int bytes) throws IOException {
        long end = size(file);
        zero(file, end, end + bytes);
    }

    private static void zero(Path file, long from, long to) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocate((int) (to - from));
            while (zeros.hasRemaining()) {
                channel.write(zeros, from + zeros.position());
            }
        }
    }

    private static void assertContents(List<StoredMessage> expected, ById store) throws IOException {
        for (StoredMessage m : expected) {
            assertArrayEquals(content(m.id(), CONTENT), store.content(m.id()), "content of " + m.id());
        }
    }

    @Test
    void theSegmentBeingWrittenIsPreallocatedAndCutBackWhenClosed(@TempDir Path directory) throws Exception {
        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = open(directory, recovered)) {
            store.add(message("a", 1), content("a", CONTENT));
            Path segment = segments(directory).get(0);
            assertEquals(SEGMENT_BYTES, size(segment), "the whole segment is allocated before the first record goes in");
        }
        Path segment = segments(directory).get(0);
        assertEquals(records(segment).get(0).end(), size(segment), "a closed journal holds no unwritten space");
        assertFalse(Files.exists(directory.resolve("next.spare")), "no spare is left behind");
    }

    @Test
    void aZeroTailLeftByACrashEndsTheSegmentAndIsGivenBack(@TempDir Path directory) throws Exception {
        List<StoredMessage> added = fill(directory, 5);
        Path segment = segments(directory).get(0);
        long end = size(segment);
        appendZeros(segment, 100_000); // as a kill -9 leaves the segment being written

        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = open(directory, recovered)) {
            assertEquals(added, recovered);
            assertContents(added, store);
            assertEquals(0, store.corruptRecords(), "unwritten space is not damage");
        }
        assertEquals(end, size(segment), "the segment is cut back to its last record");
        assertTrue(corrupt(directory).isEmpty(), "nothing set aside: " + corrupt(directory));
    }

    @Test
    void aBatchCutOffBetweenTwoSyncedOnesIsSkippedAndTheRestRecovered(@TempDir Path directory) throws Exception {
        List<StoredMessage> added = fill(directory, 6);
        Path segment = segments(directory).get(0);
        // Two batches were syncing at the crash; only the later one reached the disk.
        SegmentFiles.Record lost = records(segment).get(3);
        zero(segment, lost.offset(), lost.end());
        appendZeros(segment, 50_000);
        added.remove(3);

        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = open(directory, recovered)) {
            assertEquals(added, recovered, "the records after the hole are recovered");
            assertContents(added, store);
            assertEquals(0, store.corruptRecords(), "zeros are unwritten space, not damage");
        }
        assertTrue(corrupt(directory).isEmpty(), "nothing set aside: " + corrupt(directory));
        List<StoredMessage> again = new ArrayList<>();
        try (ById store = open(directory, again)) {
            assertEquals(added, again, "second start");
        }
    }

    @Test
    void aTornRecordBeforeUnwrittenSpaceIsSetAsideWithoutTheZeros(@TempDir Path directory) throws Exception {
        List<StoredMessage> added = fill(directory, 4);
        Path segment = segments(directory).get(0);
        SegmentFiles.Record last = records(segment).get(3);
        long written = last.offset() + 40; // only the start of the last record reached the disk
        zero(segment, written, last.end());
        appendZeros(segment, 3 * 4096);
        added.remove(3);

        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = open(directory, recovered)) {
            assertEquals(added, recovered);
            assertEquals(1, store.corruptRecords());
        }
        List<Path> setAside = corrupt(directory);
        assertEquals(1, setAside.size(), setAside.toString());
        long copied = size(setAside.get(0));
        assertTrue(copied <= 40 && copied > 4, "the written part of the torn record is set aside, not the zeros after it: " + copied + " bytes");
        assertEquals(last.offset(), size(segment), "the segment is cut back to its last sound record");
    }

    @Test
    void aSpareLeftHalfPreparedByACrashIsDeletedAndNeverScanned(@TempDir Path directory) throws Exception {
        List<StoredMessage> added = fill(directory, 3);
        Path spare = directory.resolve("next.spare");
        Files.write(spare, new byte[] {'O', 'B', 'X', 'J', 1, 2, 3});

        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = open(directory, recovered)) {
            assertEquals(added, recovered);
            assertEquals(0, store.corruptRecords());
            assertFalse(Files.exists(spare));
            StoredMessage after = message("after", 1);
            store.add(after, content(after.id(), CONTENT));
            added.add(after);
        }
        List<StoredMessage> again = new ArrayList<>();
        try (ById store = open(directory, again)) {
            assertEquals(added, again);
        }
    }

    @Test
    void rollingTakesThePreparedSpareAndCutsBackTheFullSegment(@TempDir Path directory) throws Exception {
        List<StoredMessage> added = new ArrayList<>();
        List<StoredMessage> none = new ArrayList<>();
        try (ById store = open(directory, none)) {
            for (int i = 0; segments(directory).size() < 4; i++) {
                StoredMessage m = message("r" + i, 1);
                store.add(m, content(m.id(), CONTENT));
                added.add(m);
            }
            List<Path> files = segments(directory);
            for (Path full : files.subList(0, files.size() - 1)) {
                List<SegmentFiles.Record> inIt = records(full); // throws unless the file ends at its last record
                assertTrue(inIt.get(inIt.size() - 1).end() <= SEGMENT_BYTES, full + " holds more than a segment");
            }
            assertEquals(SEGMENT_BYTES, size(files.get(files.size() - 1)), "the new segment came preallocated");
        }
        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = open(directory, recovered)) {
            assertEquals(added, recovered);
            assertContents(added, store);
        }
    }
}
