package dev.outbox.store.journal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.outbox.store.journal.SegmentFiles.corrupt;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The journal writes whole blocks: a batch starts in the last block of the one before (written
 * again) or, while that one is still being written, at the next block, leaving zeros; a record
 * larger than the staging buffer goes out in pieces. Whatever the layout, every record reads
 * back whole, now and after a restart, and the zeros a batch leaves are never taken for damage.
 */
class JournalBlockWriteTest {

    private static final long SEGMENT_BYTES = 8L * 1024 * 1024;
    private static final int MAX_RECORD = 4 * 1024 * 1024;

    private static byte[] body(long seed, int length) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    private static Map<Journal.Position, byte[]> scan(Journal journal) {
        Map<Journal.Position, byte[]> found = new ConcurrentHashMap<>();
        journal.scan((position, body) -> {
            byte[] bytes = new byte[body.remaining()];
            body.duplicate().get(bytes);
            found.put(position, bytes);
        });
        return found;
    }

    private static void assertReadsBack(Journal journal, Map<Journal.Position, byte[]> expected) throws Exception {
        for (Map.Entry<Journal.Position, byte[]> record : expected.entrySet()) {
            byte[] body = record.getValue();
            assertArrayEquals(body, journal.read(record.getKey(), 0, body.length), "record at " + record.getKey());
        }
    }

    @Test
    void aRecordLargerThanTheStagingBufferGoesInPiecesAndReadsBackWhole(@TempDir Path directory) throws Exception {
        Map<Journal.Position, byte[]> written = new ConcurrentHashMap<>();
        int[] lengths = {100, 2 * Journal.STAGING_BYTES + 4097, 7, Journal.STAGING_BYTES - Journal.RECORD_HEADER, 5000};
        try (Journal journal = new Journal(directory, SEGMENT_BYTES, MAX_RECORD)) {
            journal.scan((position, body) -> { });
            for (int i = 0; i < lengths.length; i++) {
                byte[] body = body(i, lengths[i]);
                // in two parts, as a message record is written: head, then the content as it is
                int head = Math.min(11, body.length);
                written.put(journal.append(ByteBuffer.wrap(body, 0, head), ByteBuffer.wrap(body, head, body.length - head)), body);
            }
            assertReadsBack(journal, written);
        }
        try (Journal reopened = new Journal(directory, SEGMENT_BYTES, MAX_RECORD)) {
            Map<Journal.Position, byte[]> found = scan(reopened);
            assertEquals(written.keySet(), found.keySet());
            for (Map.Entry<Journal.Position, byte[]> record : written.entrySet()) {
                assertArrayEquals(record.getValue(), found.get(record.getKey()));
            }
            assertEquals(0, reopened.corruptRecords());
        }
    }

    @Test
    void zerosUpToTheNextBlockBetweenTwoRecordsAreNotDamage(@TempDir Path directory) throws Exception {
        byte[] first = body(1, 1000);
        try (Journal journal = new Journal(directory, SEGMENT_BYTES, MAX_RECORD)) {
            journal.scan((position, body) -> { });
            journal.append(ByteBuffer.wrap(first));
        }
        // What a batch leaves when the batch before it is still being written: it starts at the next block.
        Path segment = segments(directory).get(0);
        byte[] second = body(2, 300);
        long at = Journal.BLOCK;
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.WRITE)) {
            ByteBuffer record = ByteBuffer.allocate(Journal.RECORD_HEADER + second.length)
                    .putInt(Journal.RECORD_MAGIC).putInt(second.length).putInt(Journal.checksum(second.length, ByteBuffer.wrap(second)))
                    .put(second).flip();
            Segment.writeFully(channel, record, at);
        }
        try (Journal reopened = new Journal(directory, SEGMENT_BYTES, MAX_RECORD)) {
            Map<Journal.Position, byte[]> found = scan(reopened);
            assertEquals(2, found.size(), "both records");
            assertArrayEquals(first, found.get(new Journal.Position(1, Journal.SEGMENT_HEADER)));
            assertArrayEquals(second, found.get(new Journal.Position(1, at)));
            assertEquals(0, reopened.corruptRecords());
            assertTrue(corrupt(directory).isEmpty(), "nothing set aside");
        }
    }

    @Test
    void concurrentBatchesOfEverySizeKeepEveryRecordWhole(@TempDir Path directory) throws Exception {
        concurrentBatchesKeepEveryRecordWhole(directory);
    }

    @Test
    void throughThePageCacheToo(@TempDir Path directory) throws Exception {
        System.setProperty(DirectIo.PROPERTY, "false");
        try {
            concurrentBatchesKeepEveryRecordWhole(directory);
            aRecordLargerThanTheStagingBufferGoesInPiecesAndReadsBackWhole(directory.resolve("large"));
        } finally {
            System.clearProperty(DirectIo.PROPERTY);
        }
    }

    private static void concurrentBatchesKeepEveryRecordWhole(Path directory) throws Exception {
        int threads = 12;
        int perThread = 150;
        Map<Journal.Position, byte[]> written = new ConcurrentHashMap<>();
        try (Journal journal = new Journal(directory, 1024 * 1024, MAX_RECORD)) {
            journal.scan((position, body) -> { });
            journal.append(ByteBuffer.wrap(body(-1, 10))); // opens the first segment
            written.put(new Journal.Position(1, Journal.SEGMENT_HEADER), body(-1, 10));
            if ("false".equals(System.getProperty(DirectIo.PROPERTY))) {
                assertFalse(journal.writesDirectly(), "written through the page cache when direct I/O is turned off");
            }
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    start.await();
                    Random sizes = new Random(thread);
                    for (int i = 0; i < perThread; i++) {
                        // mostly small, now and then past a block or past a segment's worth of staging
                        int length = i % 50 == 49 ? 300_000 + sizes.nextInt(100_000) : 1 + sizes.nextInt(3 * Journal.BLOCK);
                        byte[] body = body(thread * 100_000L + i, length);
                        written.put(journal.append(ByteBuffer.wrap(body)), body);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> future : done) {
                future.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();
            assertEquals(threads * perThread + 1, written.size());
            assertReadsBack(journal, written);
        }
        try (Journal reopened = new Journal(directory, 1024 * 1024, MAX_RECORD)) {
            Map<Journal.Position, byte[]> found = scan(reopened);
            assertEquals(written.keySet(), found.keySet());
            for (Map.Entry<Journal.Position, byte[]> record : written.entrySet()) {
                assertArrayEquals(record.getValue(), found.get(record.getKey()), "record at " + record.getKey());
            }
            assertEquals(0, reopened.corruptRecords());
            assertTrue(corrupt(directory).isEmpty(), "nothing set aside");
            for (Path segment : segments(directory)) {
                SegmentFiles.records(segment); // back to back, or zeros to the next block: nothing else
            }
        }
    }
}
