package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * An append-only log of checksummed records in numbered segment files, with group commit: the
 * front the store uses, and the contract the parts behind it keep (see the package comment for
 * how they fit).
 *
 * <p>Owns one directory's segment files and the journal's monitor. Operations:
 * <ul>
 *   <li>{@link #scan} reads every sound record back in order, once, before the first append
 *       ({@link RecoveryScan}); what is torn or corrupt is set aside and counted.</li>
 *   <li>{@link #append} and {@link #appendAll} add records and return where they went once a data
 *       sync covers them, never before ({@link GroupCommit}, {@link BatchWriter}). When they throw
 *       {@link StoreException} the records may or may not be on disk, and a scan treats a partial
 *       one as torn; when they throw {@link Unwritten} nothing of them reached the disk.</li>
 *   <li>{@link #read} reads part of a record's body back; {@link #delete} removes a whole segment
 *       the caller no longer needs, unless records still go there ({@link SegmentSet}).</li>
 *   <li>{@link #close} waits for the batches under way and closes the files.</li>
 * </ul>
 * New records always go to a new segment opened after the scan, so nothing is ever written after
 * a torn tail.
 *
 * <p>Threading: append, read, delete and the accessors are safe from any thread; scan must finish
 * before the first append. The journal writes and syncs in its callers' threads; only I/O that an
 * interrupt cut off is done again in a thread of its own ({@link InterruptedIo}). Interrupts: a
 * caller's interrupt fails neither its append nor anyone else's; it is kept, and set again when
 * the call returns; only a sync through the page cache, without direct I/O, is not repeated
 * ({@link Segment#sync} says why), and its batch fails. Misuse: append after close throws
 * {@link Unwritten}; a record of no bytes or more than {@link #LARGEST_RECORD} throws
 * {@link IllegalArgumentException}.
 */
final class Journal implements AutoCloseable {

    static final int RECORD_MAGIC = RecordFormat.MAGIC;
    static final int RECORD_HEADER = RecordFormat.HEADER;
    static final long SEGMENT_MAGIC = RecordFormat.SEGMENT_MAGIC;
    static final int SEGMENT_HEADER = RecordFormat.SEGMENT_HEADER;
    static final int BLOCK = BatchWriter.BLOCK;
    static final int STAGING_BYTES = BatchWriter.STAGING_BYTES;
    static final int SYNC_SLOTS = GroupCommit.SYNC_SLOTS;
    static final String YIELD_PROPERTY = GroupCommit.YIELD_PROPERTY;

    /**
     * The largest record a segment file can hold (its offsets are ints). Not the configured
     * largest record: a message accepted under a larger limit must still be moved and read back
     * after the limit was lowered.
     */
    static final int LARGEST_RECORD = Integer.MAX_VALUE - SEGMENT_HEADER - RECORD_HEADER - 2 * BLOCK;

    /** Where a record starts: its segment and the offset of its header in that file. */
    record Position(long segment, long offset) {
    }

    /** An append that failed before any of its records was handed to the disk: the journal was closed. */
    static final class Unwritten extends StoreException {
        private static final long serialVersionUID = 1L;

        Unwritten(String message) {
            super(message);
        }
    }

    /** Receives the records of {@link #scan}, in order. */
    interface Visitor {
        void record(Position position, ByteBuffer body);
    }

    /** Guards the queue and turn of {@link GroupCommit} and the spare and deletions of {@link SegmentSet}. */
    private final Object lock = new Object();
    private final SegmentSet segments;
    private final RecoveryScan recovery;
    private final GroupCommit commit;

    Journal(Path directory, long segmentBytes, int maxRecordBytes) {
        this(directory, segmentBytes, maxRecordBytes, JournalFiles.NIO);
    }

    /** A journal whose files are reached through {@code files}: tests pass one with faults. */
    Journal(Path directory, long segmentBytes, int maxRecordBytes, JournalFiles files) {
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StoreException("cannot create journal directory " + directory + ": " + e.getMessage(), e);
        }
        this.segments = new SegmentSet(directory, files, segmentBytes, DirectIo.forDirectory(directory, files), lock);
        this.recovery = new RecoveryScan(segments, maxRecordBytes);
        this.commit = new GroupCommit(segments, new BatchWriter(segments, segmentBytes), lock);
    }

    /**
     * About how many records that {@code counted} accepts {@link #scan} will find: a guess to size
     * things by, never trusted (see {@link RecoveryScan#expectedRecords}).
     */
    long expectedRecords(Predicate<ByteBuffer> counted) {
        return recovery.expectedRecords(counted);
    }

    /** Reads every segment in order and hands each sound record to {@code visitor}. */
    void scan(Visitor visitor) {
        recovery.scan(visitor);
    }

    /**
     * Appends one record whose body is {@code parts} one after the other, and returns where it
     * went, once it is on stable storage. Parts let a caller add a message's content as it is,
     * without copying it into a body first.
     *
     * @throws StoreException when writing or syncing failed; the record may or may not be on
     *                        disk, and a scan treats a partial one as torn
     */
    Position append(ByteBuffer... parts) {
        return append(Wait.SLEEP, parts);
    }

    /** As {@link #append}, waiting for the sync as {@code wait} says. */
    Position append(Wait wait, ByteBuffer... parts) {
        return appendAll(wait, List.<ByteBuffer[]>of(parts)).get(0);
    }

    /** How a caller waits for the sync that covers its records. */
    enum Wait {
        /**
         * Yields the processor while syncs are short, rather than sleeping ({@link GroupCommit}
         * says when and why): for a submitter, whose application waits on the promise, and whose
         * waking would otherwise be a large share of a short sync.
         */
        YIELD,
        /**
         * Sleeps until the writer of its batch wakes it: for an outcome recorded while the
         * connection's next round trip is under way, an operator's change or a move. Yielding there
         * spent a processor that the connections and their peers needed: the bench's
         * one-destination drain on 2 cores took 135 us of CPU a message yielding and 96 sleeping,
         * and delivered more a second.
         */
        SLEEP
    }

    /**
     * Appends {@code records} (each given as its body's parts) in one batch, in order, and
     * returns where each went once all are on stable storage: one sync for all of them.
     *
     * @throws StoreException as {@link #append}; then none of the records may be relied on
     */
    List<Position> appendAll(List<ByteBuffer[]> records) {
        return appendAll(Wait.SLEEP, records);
    }

    /** As {@link #appendAll}, waiting for the sync as {@code wait} says. */
    List<Position> appendAll(Wait wait, List<ByteBuffer[]> records) {
        return commit.append(records, wait == Wait.YIELD);
    }

    /** The length of a record whose body is {@code parts}; throws if no segment can hold it. */
    static int checkedLength(ByteBuffer[] parts) {
        long length = 0;
        for (ByteBuffer part : parts) {
            length += part.remaining();
        }
        if (length < 1 || length > LARGEST_RECORD) {
            throw new IllegalArgumentException("journal record of " + length + " bytes is outside 1.." + LARGEST_RECORD);
        }
        return (int) length;
    }

    /** Reads {@code length} bytes from offset {@code from} of the body of the record at {@code position}. */
    byte[] read(Position position, int from, int length) throws IOException {
        return segments.read(position, from, length);
    }

    /**
     * Reads the record at {@code position}, whose body is {@code length} bytes, back whole, and
     * returns its body if the record is sound (as the scan checks it: its header and checksum),
     * or null when what the disk now holds there is not the record that was written.
     */
    ByteBuffer readChecked(Position position, int length) throws IOException {
        byte[] record = segments.read(position, -RecordFormat.HEADER, RecordFormat.HEADER + length); // the header too
        return RecordFormat.recordAt(ByteBuffer.wrap(record), 0, length);
    }

    /**
     * Deletes segment {@code id}, unless new records go there or a batch written there is still
     * being synced.
     *
     * @return false when the segment was in use and stays
     */
    boolean delete(long id) {
        return segments.delete(id);
    }

    /** Segment ids, oldest first. */
    List<Long> segmentIds() {
        return segments.ids();
    }

    int segmentCount() {
        return segments.size();
    }

    /** The oldest segment's id, or -1 when there is none. */
    long oldestSegment() {
        return segments.oldest();
    }

    /** The segment new records go to, or -1 before the first append. */
    long currentSegment() {
        synchronized (lock) {
            return segments.currentId();
        }
    }

    /** Whether records go to the current segment with direct I/O; false before the first append. */
    boolean writesDirectly() {
        synchronized (lock) {
            return segments.writesDirectly();
        }
    }

    long sizeBytes() {
        return segments.sizeBytes();
    }

    long corruptRecords() {
        return recovery.corruptRecords();
    }

    /**
     * Waits for the batches under way, then closes every segment. The segment being written is
     * cut back to its last record and the spare is deleted, so a closed journal holds no
     * unwritten space.
     */
    @Override
    public void close() {
        Segment last;
        synchronized (lock) {
            commit.closeLocked();
            segments.closing();
            boolean interrupted = false;
            while (commit.busy() || segments.spareBusy()) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            last = segments.current();
        }
        segments.close(last);
    }

    /** The checksum of a record: of its length and its body, given as one or more parts. */
    static int checksum(int length, ByteBuffer... body) {
        return RecordFormat.checksum(length, body);
    }

    static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        RecordFormat.readFully(channel, buffer, position);
    }
}
