package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The segment files of one journal directory: which there are, the one records go to, the spare
 * file prepared for the next, and the bytes they count toward the store's size.
 *
 * <p>Owns the map of open segments, the current segment, the spare file ({@value #SPARE}) and
 * the highest segment id ever seen. Operations, by caller:
 * <ul>
 *   <li>the recovery scan, before any append: {@link #seen} each id it finds (set-aside files
 *       included, so ids never repeat), {@link #opened} each sound segment, {@link #count} the
 *       bytes kept of it, {@link #deleteSpareFile} a spare left by a stop;</li>
 *   <li>the holder of the write turn ({@link GroupCommit}): {@link #current}, {@link #forgetCurrent}
 *       after a failed batch, {@link #startNext} to roll (the old segment is cut back to its last
 *       record, the spare becomes the new one, its header counted) and then
 *       {@link #syncDirectory}; after a rolled batch is synced, {@link #prepareSpare};</li>
 *   <li>anyone: {@link #read} part of a record, {@link #delete} a segment nobody writes to,
 *       the ids and size.</li>
 * </ul>
 *
 * <p>Threading: the spare's state, the closed flag and the choice to delete are guarded by the
 * journal's monitor, shared with {@link GroupCommit} (a segment's {@code syncing} count is kept
 * under it there); {@link #current} is written only by the holder of the write turn and read by
 * others under the monitor. Misuse: {@link #startNext} outside the write turn, or {@link #count}
 * after the scan, corrupts the size; {@link #read} of a deleted segment throws {@link IOException}.
 */
final class SegmentSet {

    private static final Logger LOG = Logger.getLogger(Journal.class.getName());

    static final String SUFFIX = ".journal";
    static final String SPARE = "next.spare";

    /** Nothing to do before I/O is done again: it opens its own channels, and rewrites what it syncs. */
    private static final InterruptedIo.Repeatable NOTHING = () -> { };

    /** The spare segment file: none, in some thread's hands (being prepared or made a segment), or ready. */
    private enum Spare { NONE, BUSY, READY }

    private final Path directory;
    private final JournalFiles files;
    private final long segmentBytes;
    private final Path spareFile;
    /** Whether segments are written directly, decided once at open. */
    private final DirectIo directIo;
    /** The journal's monitor (see the class comment). */
    private final Object lock;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private final AtomicLong totalBytes = new AtomicLong();
    /**
     * The highest segment id ever seen here, set-aside ones included, so that ids never repeat
     * even when every segment was reclaimed: a set-aside file is named after its segment.
     */
    private long highestSegmentId;
    private Spare spare = Spare.NONE; // guarded by lock
    private boolean closed; // guarded by lock
    /** Touched only by the holder of the write turn; read by others under the lock. */
    private Segment current;
    /** An interrupt that came while the spare was awaited; reported by {@link #startNext}. */
    private boolean spareInterrupted;

    SegmentSet(Path directory, JournalFiles files, long segmentBytes, DirectIo directIo, Object lock) {
        this.directory = directory;
        this.files = files;
        this.segmentBytes = segmentBytes;
        this.spareFile = directory.resolve(SPARE);
        this.directIo = directIo;
        this.lock = lock;
    }

    Path directory() {
        return directory;
    }

    JournalFiles files() {
        return files;
    }

    // --- the recovery scan

    void seen(long id) {
        highestSegmentId = Math.max(highestSegmentId, id);
    }

    void opened(Segment segment) {
        segments.put(segment.id, segment);
    }

    void count(long bytes) {
        totalBytes.addAndGet(bytes);
    }

    /** Deletes a spare being prepared when the server stopped: it never holds records. */
    void deleteSpareFile() {
        try {
            files.deleteIfExists(spareFile);
        } catch (IOException e) {
            throw new StoreException("cannot delete " + spareFile + ": " + e.getMessage(), e);
        }
    }

    // --- the write turn

    /** The segment records go to, or null before the first batch and after a failed one. */
    Segment current() {
        return current;
    }

    /** After a batch failed part-way: the next writer starts a fresh segment. */
    void forgetCurrent() {
        current = null;
    }

    /**
     * Cuts the current segment back to its last record and makes the spare the next segment,
     * counted and listed; the caller has synced what it wrote to the old one, and syncs the
     * directory ({@link #syncDirectory}) before any record in the new one is acknowledged.
     *
     * @return whether the caller was interrupted meanwhile; its interrupt status is clear
     */
    boolean startNext() throws IOException {
        boolean interrupted = false;
        if (current != null) {
            interrupted = cutBack(current);
        }
        long id = highestSegmentId + 1; // every segment and set-aside file was seen by the scan
        Path file = directory.resolve(String.format("%016x%s", id, SUFFIX));
        current = segmentFromSpare(file, id);
        interrupted |= spareInterrupted;
        spareInterrupted = false;
        highestSegmentId = id;
        totalBytes.addAndGet(RecordFormat.SEGMENT_HEADER);
        current.counted = RecordFormat.SEGMENT_HEADER;
        segments.put(id, current);
        return interrupted;
    }

    /**
     * Gives back the unwritten space at the end of a segment no record will go to again. Not
     * synced: should a crash undo it, the next scan takes the zeros for unwritten space.
     *
     * @return whether the caller was interrupted meanwhile; its interrupt status is clear
     */
    private static boolean cutBack(Segment segment) {
        try {
            return InterruptedIo.repeatAfterInterrupts(() -> segment.channel.truncate(segment.size), segment::reopen);
        } catch (IOException e) {
            LOG.log(Level.FINE, "Outbox journal: could not cut " + segment.file + " back to its last record; the next start does", e);
            return Thread.interrupted(); // set again by the failed repeat: the writer's I/O goes on
        }
    }

    /**
     * Turns the spare into segment {@code id} at {@code file}: waits while another thread has the
     * spare file in hand, and prepares one here when none is ready. The spare stays BUSY until it
     * is renamed, so no one prepares a new spare into the file while it becomes the segment.
     */
    private Segment segmentFromSpare(Path file, long id) throws IOException {
        boolean ready;
        synchronized (lock) {
            while (spare == Spare.BUSY) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    spareInterrupted = true;
                }
            }
            ready = spare == Spare.READY;
            spare = Spare.BUSY;
        }
        try {
            if (!ready) {
                spareInterrupted |= prepareSpareFile();
            }
            Segment[] made = new Segment[1];
            spareInterrupted |= InterruptedIo.repeatAfterInterrupts(() -> made[0] = Segment.fromSpare(files, spareFile, file, id, directIo), NOTHING);
            return made[0];
        } finally {
            synchronized (lock) {
                spare = Spare.NONE;
                lock.notifyAll();
            }
        }
    }

    /**
     * Prepares the spare for the next roll unless one is there or under way. A failure only
     * costs the next roll the time to prepare it then.
     *
     * @return whether the caller was interrupted meanwhile
     */
    boolean prepareSpare() {
        synchronized (lock) {
            if (spare != Spare.NONE || closed) {
                return false;
            }
            spare = Spare.BUSY;
        }
        boolean interrupted = Thread.interrupted(); // keep the channel open, as in append
        boolean ready = false;
        try {
            interrupted |= prepareSpareFile();
            ready = true;
        } catch (IOException e) {
            LOG.log(Level.FINE, "Outbox journal: could not prepare " + spareFile + "; the next new segment is prepared when it is needed", e);
        } finally {
            synchronized (lock) {
                spare = ready ? Spare.READY : Spare.NONE;
                lock.notifyAll();
            }
        }
        return interrupted | Thread.interrupted();
    }

    /** Zero-fills the spare file, starting again if an interrupt cut it off; returns whether the caller was interrupted. */
    private boolean prepareSpareFile() throws IOException {
        return InterruptedIo.repeatAfterInterrupts(() -> Segment.prepare(files, spareFile, segmentBytes, directIo), NOTHING);
    }

    /**
     * Syncs the directory, so that the files created, renamed and deleted in it stay so.
     *
     * @return whether the caller was interrupted meanwhile; its interrupt status is clear
     */
    boolean syncDirectory() throws IOException {
        return InterruptedIo.repeatAfterInterrupts(() -> files.syncDirectory(directory), NOTHING);
    }

    // --- anyone

    /** Reads {@code length} bytes from offset {@code from} of the body of the record at {@code position}. */
    byte[] read(Journal.Position position, int from, int length) throws IOException {
        Segment segment = segments.get(position.segment());
        if (segment == null) {
            throw new IOException("journal segment " + position.segment() + " of " + directory + " is gone");
        }
        boolean interrupted = Thread.interrupted(); // see Journal.append: keep the shared channel open
        try {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            interrupted |= InterruptedIo.repeatAfterInterrupts(() -> {
                buffer.clear();
                RecordFormat.readFully(segment.channel, buffer, position.offset() + RecordFormat.HEADER + from);
            }, segment::reopen);
            return buffer.array();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Deletes segment {@code id}, unless new records go there or a batch written there is still
     * being synced, or its file cannot be deleted.
     *
     * @return false when the segment was in use, or its deletion failed, and stays
     */
    boolean delete(long id) {
        Segment segment = segments.get(id);
        if (segment == null) {
            return true;
        }
        synchronized (lock) {
            if (segment == current || segment.syncing > 0) {
                return false;
            }
            segments.remove(id);
        }
        try {
            files.deleteIfExists(segment.file);
        } catch (IOException e) {
            // It stays, and stays the oldest: a later segment, which may hold the removals of its
            // messages, must not go before it, or those messages come back at the next start.
            segments.put(id, segment);
            LOG.log(Level.WARNING, "Outbox journal: could not delete " + segment.file + "; a later reclamation tries again", e);
            return false;
        }
        totalBytes.addAndGet(-segment.counted);
        try {
            segment.close();
        } catch (IOException e) {
            LOG.log(Level.FINE, "closing " + segment.file, e);
        }
        try {
            if (syncDirectory()) {
                Thread.currentThread().interrupt();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Outbox journal: could not sync " + directory + " after deleting " + segment.file
                    + "; the next directory sync makes the deletion durable", e);
        }
        return true;
    }

    /** Segment ids, oldest first. */
    List<Long> ids() {
        return List.copyOf(segments.keySet());
    }

    int size() {
        return segments.size();
    }

    /** The oldest segment's id, or -1 when there is none. */
    long oldest() {
        Map.Entry<Long, Segment> first = segments.firstEntry();
        return first == null ? -1 : first.getKey();
    }

    /** The segment new records go to, or -1 before the first append. Called under the lock. */
    long currentId() {
        Segment segment = current;
        return segment == null ? -1 : segment.id;
    }

    /** Whether records go to the current segment with direct I/O. Called under the lock. */
    boolean writesDirectly() {
        Segment segment = current;
        return segment != null && segment.writesDirectly();
    }

    long sizeBytes() {
        return totalBytes.get();
    }

    // --- close

    /** No spare is prepared from now on. Called under the lock. */
    void closing() {
        closed = true;
    }

    /** Whether some thread has the spare file in hand. Called under the lock. */
    boolean spareBusy() {
        return spare == Spare.BUSY;
    }

    /**
     * Closes every segment, once nothing is written any more: the last one written is cut back
     * to its last record and the spare is deleted, so a closed journal holds no unwritten space.
     */
    void close(Segment last) {
        if (last != null && !last.broken) {
            cutBack(last);
        }
        for (Segment segment : segments.values()) {
            try {
                segment.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing " + segment.file, e);
            }
        }
        segments.clear();
        try {
            files.deleteIfExists(spareFile);
        } catch (IOException e) {
            LOG.log(Level.FINE, "Outbox journal: could not delete " + spareFile + "; the next start does", e);
        }
    }
}
