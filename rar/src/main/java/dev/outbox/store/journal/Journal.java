package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * An append-only log of checksummed records in numbered segment files, with group commit.
 *
 * <p>Owns the segment files of one directory. {@link #scan} reads every record back in order
 * (once, at open); {@link #append} adds a record and returns its position once it is on stable
 * storage; {@link #read} reads part of a record back; {@link #delete} removes a whole segment
 * the caller no longer needs. New records always go to a new segment opened after the scan,
 * so nothing is ever written after a torn tail.
 *
 * <p>Group commit: callers of {@link #append} queue their records; whichever caller finds the
 * write turn free becomes the writer for everything queued so far (after a short commit window
 * when the last batch had company): it lays the batch out in the segment and copies it into a
 * staging buffer, hands the turn on, then writes the batch, syncs it and wakes its callers. The
 * next writer gathers the next batch while the last one is written and synced, so up to
 * {@link #SYNC_SLOTS} batches are under way: on a disk that serves two requests at once that is
 * nearly twice the batches, and the time submitters need to come back after a sync is no longer
 * time the disk sits idle. A sync covers everything written to the file before it, so batches
 * may finish in any order. The journal writes and syncs in its callers' threads; only I/O that
 * an interrupt cut off is done again in a thread of its own ({@link InterruptedIo}).
 *
 * <p>Waiting: while batches reach the disk within {@link #YIELD_WHILE_SYNC_BELOW_NANOS}, a caller
 * waiting for its record, or for the turn, yields the processor instead of sleeping, for a
 * bounded time ({@link #yieldWhileSyncsAreShort}): on the machine measured, waking the sleeping
 * callers of a batch one by one took a third as long as writing and syncing it.
 * {@value #YIELD_PROPERTY}{@code =false} makes waiters always sleep.
 *
 * <p>Writes: a batch goes out as whole blocks from a block-aligned buffer, with direct I/O where
 * the file system has it ({@link DirectIo}): no page cache grows behind the journal and a sync
 * only flushes the disk's cache. A batch starts in the last, partly filled block of the batch
 * before it and writes that block's records again, so records lie back to back; while that
 * batch is still being written, the new one starts at the next block instead and leaves zeros,
 * so no two writes under way touch the same block.
 *
 * <p>Segments are preallocated ({@link Segment#prepare}): a writer that rolls to a new segment
 * takes the spare file prepared earlier, and once its batch is synced prepares the next spare,
 * beside the other writers.
 *
 * <p>Record layout: magic (4 bytes), body length (4), CRC32C of the length and body (4), body.
 * A record whose magic, length or checksum does not hold is set aside: its bytes are copied to
 * {@code corrupt/} beside the segments, it is reported once, and the scan resumes at the next
 * record that does hold. Zeros are unwritten space: at the end of a segment they end it, up to
 * the next block they are what a batch left (see above), and other runs between records (a
 * batch that a crash cut off while a later one was synced) are skipped with a warning.
 *
 * <p>Threading: append, read and delete are safe from any thread; scan must finish before the
 * first append. Interrupts: a caller's interrupt fails neither its append nor anyone else's; it
 * is kept, and set again when the append returns. The JDK closes a file channel for every thread
 * when one blocked in it is interrupted, so a writer starts its turn with its interrupt set aside,
 * and I/O that an interrupt cut off is done again on channels opened anew, by a thread that
 * nothing interrupts ({@link InterruptedIo}); only a sync through the page cache, without direct
 * I/O, is not repeated ({@link Segment#sync} says why), and its batch fails. Misuse: append after
 * close throws {@link StoreException}.
 */
final class Journal implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Journal.class.getName());

    static final int RECORD_MAGIC = 0x4F42584A; // "OBXJ"
    static final int RECORD_HEADER = 12;
    static final long SEGMENT_MAGIC = 0x4F5554424F584A31L; // "OUTBOXJ1"
    static final int SEGMENT_HEADER = 16;
    private static final String SUFFIX = ".journal";
    private static final String SPARE = "next.spare";

    /** Batches under way at once; more than two gained nothing on the disks measured (see bench/). */
    static final int SYNC_SLOTS = 2;

    /**
     * The longest the writer waits for company before it writes (see {@link #gather}); 50 to
     * 100 us did a little better than 300 on the disk measured, 0 clearly worse.
     */
    static final long MAX_WINDOW_NANOS = 100_000;

    /**
     * Waiters yield the processor instead of sleeping while batches take at most this long from
     * their write to the end of their sync (on average), and for at most twice that: see
     * {@link #yieldWhileSyncsAreShort}. 400 us is where MySQL's redo log stops letting its
     * waiters spin ({@code innodb_log_wait_for_flush_spin_hwm}).
     */
    static final long YIELD_WHILE_SYNC_BELOW_NANOS = 400_000;

    /** The system property that makes waiters always sleep when set to {@code false}. */
    static final String YIELD_PROPERTY = "dev.outbox.journal.yieldWhileSyncing";

    /**
     * A run of zeros at least this long at the end of a torn tail is unwritten, preallocated
     * space, not part of the torn record: it is not copied when the record is set aside.
     */
    private static final int UNWRITTEN_TAIL = 4096;

    /**
     * The unit of writing: every write covers whole blocks at block offsets, as direct I/O
     * requires (4096 satisfies every logical block size in use).
     */
    static final int BLOCK = 4096;

    /**
     * The largest record a segment file can hold (its offsets are ints). Not the configured
     * largest record: a message accepted under a larger limit must still be moved and read back
     * after the limit was lowered.
     */
    static final int LARGEST_RECORD = Integer.MAX_VALUE - SEGMENT_HEADER - RECORD_HEADER - 2 * BLOCK;

    /** Each sync slot's staging buffer: a batch of 16 records of 64 KiB fits; larger batches go in pieces. */
    static final int STAGING_BYTES = 1024 * 1024 + 2 * BLOCK;

    private static final ByteBuffer ZERO_CHUNK = ByteBuffer.allocate(64 * 1024).asReadOnlyBuffer();

    /** Nothing to do before I/O is done again: it opens its own channels, and rewrites what it syncs. */
    private static final InterruptedIo.Repeatable NOTHING = () -> { };

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

    /** The spare segment file: none, in some thread's hands (being prepared or made a segment), or ready. */
    private enum Spare { NONE, BUSY, READY }

    private final Path directory;
    private final long segmentBytes;
    private final int maxRecordBytes;
    private final Path spareFile;
    /** Whether segments are written directly, decided once at open. */
    private final DirectIo directIo;
    private final ConcurrentSkipListMap<Long, Segment> segments = new ConcurrentSkipListMap<>();
    private long corrupt;
    private final AtomicLong totalBytes = new AtomicLong();
    /**
     * The highest segment id ever seen here, set-aside ones included, so that ids never repeat
     * even when every segment was reclaimed: a set-aside file is named after its segment.
     */
    private long highestSegmentId;

    // Group commit: guarded by lock.
    private final Object lock = new Object();
    private List<Append> queued = new ArrayList<>();
    /** Someone holds the write turn: gathers, takes a sync slot, lays the batch out and stages it. */
    private boolean writing;
    private final boolean[] slotBusy = new boolean[SYNC_SLOTS];
    private int lastBatchSize;
    private Thread gatherer;
    private Spare spare = Spare.NONE;
    private boolean closed;
    /**
     * Whether a caller may take the write turn now: nobody holds it, a sync slot is free and
     * records are queued. Kept under the lock, read without it by yielding waiters.
     */
    private volatile boolean turnOpen;
    /** How long batches took from their write to the end of their sync, a running average. */
    private volatile long recentSyncNanos;
    /** Whether waiters may yield instead of sleeping ({@link #YIELD_PROPERTY}), read at open. */
    private final boolean yieldWhileSyncing = !"false".equals(System.getProperty(YIELD_PROPERTY));

    // Touched only by the holder of the write turn.
    private Segment current;
    /**
     * Where the batch of each sync slot is put together, block-aligned, before it is written:
     * the batch goes out in one write, after the turn is handed on.
     */
    private final ByteBuffer[] staging = new ByteBuffer[SYNC_SLOTS];
    /** The bytes of the current segment's last, partly filled block: a batch that starts there writes them again. */
    private final ByteBuffer tail = ByteBuffer.allocate(BLOCK);
    /** The last batch's write, which may still be under way outside the turn; null after a roll. */
    private Write lastWrite;
    /** An interrupt that came while the writer waited; reported to its caller after the turn. */
    private boolean writerInterrupted;

    Journal(Path directory, long segmentBytes, int maxRecordBytes) {
        this.directory = directory;
        this.segmentBytes = segmentBytes;
        this.maxRecordBytes = maxRecordBytes;
        this.spareFile = directory.resolve(SPARE);
        for (int slot = 0; slot < SYNC_SLOTS; slot++) {
            staging[slot] = DirectIo.alignedBuffer(STAGING_BYTES);
        }
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StoreException("cannot create journal directory " + directory + ": " + e.getMessage(), e);
        }
        this.directIo = DirectIo.forDirectory(directory);
    }

    /** Reads every segment in order and hands each sound record to {@code visitor}. */
    void scan(Visitor visitor) {
        List<Path> files;
        try (Stream<Path> list = Files.list(directory)) {
            files = list.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        } catch (IOException e) {
            throw new StoreException("cannot list journal directory " + directory + ": " + e.getMessage(), e);
        }
        highestSegmentId = highestSetAside();
        try {
            Files.deleteIfExists(spareFile); // a spare being prepared when the server stopped: never holds records
        } catch (IOException e) {
            throw new StoreException("cannot delete " + spareFile + ": " + e.getMessage(), e);
        }
        for (Path file : files) {
            long id = Long.parseUnsignedLong(file.getFileName().toString().replace(SUFFIX, ""), 16);
            highestSegmentId = Math.max(highestSegmentId, id);
            try {
                Segment segment = Segment.openForRead(file, id);
                if (segment == null) {
                    setAside(file, 0, Files.size(file), "a segment without a valid header");
                    Files.delete(file);
                    continue;
                }
                segments.put(id, segment);
                scan(segment, visitor);
            } catch (IOException e) {
                throw new StoreException("cannot read journal segment " + file + ": " + e.getMessage(), e);
            }
        }
    }

    private long highestSetAside() {
        Path corruptDirectory = directory.resolve("corrupt");
        if (!Files.isDirectory(corruptDirectory)) {
            return 0;
        }
        try (Stream<Path> list = Files.list(corruptDirectory)) {
            return list.map(p -> p.getFileName().toString())
                    .filter(name -> name.matches("[0-9a-f]{16}\\" + SUFFIX + "-\\d+\\.bad"))
                    .mapToLong(name -> Long.parseUnsignedLong(name.substring(0, 16), 16))
                    .max().orElse(0);
        } catch (IOException e) {
            throw new StoreException("cannot list " + corruptDirectory + ": " + e.getMessage(), e);
        }
    }

    /**
     * Scans one segment through a read-only mapping: no copy and no system call per record. The
     * segment will not be written again, so it is cut back to its last sound record: a torn tail
     * is set aside first, unwritten preallocated space just goes.
     */
    private void scan(Segment segment, Visitor visitor) throws IOException {
        long fileSize = segment.channel.size();
        if (fileSize > Integer.MAX_VALUE) {
            throw new IOException("journal segment " + segment.file + " is " + fileSize + " bytes, more than a segment can be");
        }
        int size = (int) fileSize;
        ByteBuffer map = segment.channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        int position = SEGMENT_HEADER;
        int end = size;
        while (position < size) {
            // Where the last record ended, any length the file holds counts: a record written
            // when the message size limit was larger must come back after it was lowered.
            ByteBuffer body = recordAt(map, position, Integer.MAX_VALUE);
            if (body != null) {
                visitor.record(new Position(segment.id, position), body);
                position += RECORD_HEADER + body.capacity();
                continue;
            }
            int nextBlock = (position + BLOCK - 1) / BLOCK * BLOCK;
            if (nextBlock > position && nextBlock < size && nextNonZero(map, position) == nextBlock
                    && recordAt(map, nextBlock, Integer.MAX_VALUE) != null) {
                position = nextBlock; // zeros to the next block, where the next batch started: any length counts there too
                continue;
            }
            int next = nextRecord(map, position + 1);
            if (next < 0) {
                int written = endOfNonZero(map, position);
                if (written > position) {
                    int torn = size - written >= UNWRITTEN_TAIL ? written : size;
                    setAside(segment.file, position, torn, "a torn or corrupt record at the end");
                }
                end = position;
                break;
            }
            boolean zeros = nextNonZero(map, position) >= next;
            boolean restOfBlock = next % BLOCK == 0 && next - position < BLOCK; // left by a batch: nothing lost
            if (zeros && !restOfBlock) {
                int from = position;
                LOG.warning(() -> "Outbox journal: " + (next - from) + " bytes of zeros between records in " + segment.file
                        + " at bytes " + from + ".." + next + " were skipped: a batch that a crash cut off before it was acknowledged"
                        + " (or space the disk lost)");
            } else if (!zeros) {
                setAside(segment.file, position, next, "a corrupt record");
            }
            position = next;
        }
        if (end < size) {
            try (FileChannel cut = FileChannel.open(segment.file, StandardOpenOption.WRITE)) {
                cut.truncate(end);
                cut.force(true);
            }
        }
        segment.size = end;
        segment.counted = end;
        totalBytes.addAndGet(end);
    }

    /** The offset of the next sound record at or after {@code from}, or -1; skips zeros quickly. */
    private int nextRecord(ByteBuffer map, int from) {
        int size = map.limit();
        for (int at = from; at + RECORD_HEADER <= size; ) {
            if (map.get(at) == 0) { // no record starts with a zero: its magic does not
                at = nextNonZero(map, at);
                if (at < 0) {
                    return -1;
                }
                continue;
            }
            // Searching through damage: a garbage length is not worth a checksum over megabytes.
            if (recordAt(map, at, maxRecordBytes) != null) {
                return at;
            }
            at++;
        }
        return -1;
    }

    /** The first offset at or after {@code from} that holds a byte other than zero, or -1. */
    private static int nextNonZero(ByteBuffer map, int from) {
        int size = map.limit();
        for (int at = from; at < size; ) {
            int length = Math.min(ZERO_CHUNK.capacity(), size - at);
            int mismatch = map.slice(at, length).mismatch(ZERO_CHUNK.slice(0, length));
            if (mismatch >= 0) {
                return at + mismatch;
            }
            at += length;
        }
        return -1;
    }

    /** The offset just after the last byte other than zero from {@code from} on, or {@code from} when all are zero. */
    private static int endOfNonZero(ByteBuffer map, int from) {
        for (int to = map.limit(); to > from; ) {
            int length = Math.min(ZERO_CHUNK.capacity(), to - from);
            int start = to - length;
            if (map.slice(start, length).mismatch(ZERO_CHUNK.slice(0, length)) >= 0) {
                int at = to - 1;
                while (map.get(at) == 0) {
                    at--;
                }
                return at + 1;
            }
            to = start;
        }
        return from;
    }

    /** The body of the sound record of at most {@code maxLength} bytes at {@code position} of {@code map}, or null if none starts there. */
    private ByteBuffer recordAt(ByteBuffer map, int position, int maxLength) {
        int size = map.limit();
        if (position + RECORD_HEADER > size) {
            return null;
        }
        int magic = map.getInt(position);
        int length = map.getInt(position + 4);
        int crc = map.getInt(position + 8);
        if (magic != RECORD_MAGIC || length < 1 || length > maxLength || (long) position + RECORD_HEADER + length > size) {
            return null;
        }
        ByteBuffer body = map.slice(position + RECORD_HEADER, length);
        return checksum(length, body) == crc ? body : null;
    }

    private void setAside(Path file, long from, long to, String what) throws IOException {
        Path corruptDirectory = directory.resolve("corrupt");
        Path target = corruptDirectory.resolve(file.getFileName() + "-" + from + ".bad");
        if (Files.exists(target)) {
            return; // reported at an earlier start
        }
        Files.createDirectories(corruptDirectory);
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ);
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            in.transferTo(from, to - from, out);
            out.force(true);
        }
        synchronized (lock) {
            corrupt++;
        }
        LOG.warning(() -> "Outbox journal: " + what + " in " + file + " at bytes " + from + ".." + to
                + " was set aside as " + target + "; the rest of the journal is intact");
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
        return appendAll(List.<ByteBuffer[]>of(parts)).get(0);
    }

    /**
     * Appends {@code records} (each given as its body's parts) in one batch, in order, and
     * returns where each went once all are on stable storage: one sync for all of them.
     *
     * @throws StoreException as {@link #append}; then none of the records may be relied on
     */
    List<Position> appendAll(List<ByteBuffer[]> records) {
        List<Append> appends = new ArrayList<>(records.size());
        for (ByteBuffer[] parts : records) {
            long length = 0;
            for (ByteBuffer part : parts) {
                length += part.remaining();
            }
            if (length < 1 || length > LARGEST_RECORD) {
                throw new IllegalArgumentException("journal record of " + length + " bytes is outside 1.." + LARGEST_RECORD);
            }
            appends.add(new Append(parts, (int) length, Thread.currentThread()));
        }
        Append last = appends.get(appends.size() - 1);
        // Waiting parks on the caller's own record: only the writers of a finished batch wake,
        // not everyone queued (a shared monitor's notifyAll costs a context switch each).
        // The interrupt flag stays clear meanwhile: an interrupt during channel I/O closes the
        // channel for every thread.
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (lock) {
                if (closed) {
                    throw new Unwritten("journal " + directory + " is closed");
                }
                queued.addAll(appends); // together, so one writer takes them all in one batch
                updateTurnOpen();
                if (gatherer != null && queued.size() >= lastBatchSize) {
                    LockSupport.unpark(gatherer); // as many as last time: no need to wait longer
                }
            }
            while (true) {
                boolean myTurn = false;
                synchronized (lock) {
                    if (last.done) {
                        break;
                    }
                    if (closed && queued.remove(last)) { // not taken into a batch, and now never will be
                        queued.removeAll(appends);
                        throw new Unwritten("journal " + directory + " was closed before the record was written");
                    }
                    if (!closed && !writing && freeSlot() >= 0 && !queued.isEmpty()) {
                        writing = true;
                        turnOpen = false;
                        myTurn = true;
                    }
                }
                if (myTurn) {
                    interrupted |= Thread.interrupted(); // the writer's I/O would close the channels for everyone
                    interrupted |= takeTurn();
                    continue;
                }
                if (!yieldWhileSyncsAreShort(last)) {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted(); // the records are queued and will be written: finish first
                }
            }
            List<Position> positions = new ArrayList<>(appends.size());
            for (Append append : appends) {
                positions.add(append.result());
            }
            return positions;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Yields the processor, rather than sleeping, until {@code last} is done or the write turn
     * is open, for at most twice the recent sync time, and only while syncs take less than
     * {@link #YIELD_WHILE_SYNC_BELOW_NANOS}. Why: on a fast disk a batch is on disk within a few
     * hundred microseconds, and waking a sleeping thread is then a large share of the wait. The
     * writer that finishes a batch wakes its sleeping callers one by one: on the 2-core virtual
     * machine measured, about 7 us each, 75 us for a batch of ten against 190 us for its write
     * and sync, while its sync slot stays taken. A yielding waiter sees its record done at once
     * (16 submitters: +35% submits a second, 25 instead of 21 us of CPU each, see bench/).
     * Yielding gives the processor to any other thread that wants it, so mostly idle time is
     * spent. On a slow disk the wake-up is a small share of the wait, and waiters sleep at once.
     *
     * @return true when the record is done or the turn open (the caller looks again), false
     *         when the caller should sleep
     */
    private boolean yieldWhileSyncsAreShort(Append last) {
        long sync = recentSyncNanos;
        if (!yieldWhileSyncing || sync > YIELD_WHILE_SYNC_BELOW_NANOS) {
            return false;
        }
        long deadline = System.nanoTime() + 2 * sync;
        while (!last.done && !turnOpen) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.yield();
        }
        return true;
    }

    /** Sets {@link #turnOpen} from the state. Called under the lock after each change to it. */
    private void updateTurnOpen() {
        turnOpen = !writing && freeSlot() >= 0 && !queued.isEmpty();
    }

    /** Whether a batch is being synced. Called under the lock. */
    private boolean syncing() {
        for (boolean busy : slotBusy) {
            if (busy) {
                return true;
            }
        }
        return false;
    }

    /** A sync slot nobody holds, or -1. Called under the lock. */
    private int freeSlot() {
        for (int slot = 0; slot < SYNC_SLOTS; slot++) {
            if (!slotBusy[slot]) {
                return slot;
            }
        }
        return -1;
    }

    /**
     * The writer's turn, which its caller took with a sync slot free: gathers what is queued
     * (its own records among it), writes it into the segment, hands the turn to the first
     * caller still queued, then syncs the batch through its slot and wakes its callers. A
     * writer that rolled to a new segment then prepares the next spare.
     *
     * @return whether the caller was interrupted meanwhile
     */
    private boolean takeTurn() {
        gather();
        List<Append> batch;
        int slot;
        synchronized (lock) {
            batch = queued;
            queued = new ArrayList<>();
            lastBatchSize = batch.size();
            slot = freeSlot();
            slotBusy[slot] = true; // only the holder of the turn takes slots: one was free when it took the turn
            updateTurnOpen();
        }
        Segment segment = null;
        Segment before = current;
        Write write = null;
        IOException failure = null;
        try {
            write = stage(batch, slot);
            segment = current;
        } catch (IOException | RuntimeException | Error e) { // whatever it is, the batch fails and the turn goes on
            failure = asIoException(e);
            current = null; // the next writer starts a fresh segment after a partial write
        }
        boolean rolled = current != before;
        boolean interrupted = writerInterrupted;
        writerInterrupted = false;
        synchronized (lock) {
            writing = false;
            updateTurnOpen();
            if (segment != null) {
                segment.syncing++;
            }
            if (!queued.isEmpty() && freeSlot() >= 0) {
                LockSupport.unpark(queued.get(0).caller);
            }
        }
        if (segment != null) {
            long started = System.nanoTime();
            try {
                interrupted |= write.run();
                interrupted |= segment.sync(slot);
            } catch (IOException | RuntimeException | Error e) { // whatever it is, the batch fails and the slot is freed
                failure = asIoException(e);
                segment.broken = true; // what it holds after the failure is unknown: the next writer rolls
            }
            long took = System.nanoTime() - started;
            long average = recentSyncNanos;
            recentSyncNanos = average == 0 ? took : average + (took - average) / 8; // not atomic: an estimate
        }
        for (Append done : batch) {
            done.complete(failure);
        }
        synchronized (lock) {
            slotBusy[slot] = false;
            updateTurnOpen();
            if (segment != null) {
                segment.syncing--;
            }
            if (!writing && !queued.isEmpty()) {
                LockSupport.unpark(queued.get(0).caller);
            }
            lock.notifyAll(); // for close() and delete(), which wait for syncs to end
        }
        if (rolled) {
            interrupted |= prepareSpare();
        }
        return interrupted;
    }

    private static IOException asIoException(Throwable failure) {
        return failure instanceof IOException e ? e : new IOException("unexpected failure: " + failure, failure);
    }

    /**
     * The commit window. The writers released by the last sync submit again a few microseconds
     * after it; without a pause the new writer would take only those who queued during the
     * sync, and the batches would stay small. So when the last batch had company, the writer
     * waits a moment (a third of the recent sync time, at most {@link #MAX_WINDOW_NANOS}) or until
     * as many records as last time are queued. A lone submitter never waits.
     */
    private void gather() {
        long window;
        synchronized (lock) {
            if (lastBatchSize <= 1 || queued.size() >= lastBatchSize) {
                return;
            }
            window = Math.min(MAX_WINDOW_NANOS, recentSyncNanos / 3);
            gatherer = Thread.currentThread();
        }
        long deadline = System.nanoTime() + window;
        for (long left = window; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                writerInterrupted = true; // parkNanos would not wait again with the flag set
            }
            synchronized (lock) {
                if (queued.size() >= lastBatchSize) {
                    break;
                }
            }
        }
        synchronized (lock) {
            gatherer = null;
        }
    }

    /**
     * Lays {@code batch} out in the current segment, rolling to new ones as they fill, and stages
     * it in the slot's buffer; returns the write that puts the last of it into the file, for the
     * caller to do after handing the turn on. Only what did not fit the buffer, and what went to a
     * segment the batch rolled away from, is written here.
     *
     * <p>Writes cover whole blocks. A batch starts in the last block of the batch before it,
     * writing that block's records again, so records lie back to back; but while the batch
     * before is still being written, the new one starts at the next block instead, leaving zeros
     * after the last record, so that no two writes under way touch the same block.
     */
    private Write stage(List<Append> batch, int slot) throws IOException {
        if (current != null && current.broken) {
            current = null;
        }
        ByteBuffer buffer = staging[slot];
        buffer.clear();
        long at = -1; // where buffer[0] goes in the current segment, once something is staged
        for (Append append : batch) {
            long total = RECORD_HEADER + (long) append.length;
            if (current == null || (current.size + total > segmentBytes && current.size > SEGMENT_HEADER)) {
                if (at >= 0) {
                    write(current, buffer, at, true);
                    at = -1;
                }
                roll(slot);
            }
            if (at < 0) {
                at = startBatch(buffer);
            }
            append.position = new Position(current.id, current.size);
            at = put(buffer, at, ByteBuffer.allocate(RECORD_HEADER).putInt(RECORD_MAGIC).putInt(append.length).putInt(append.checksum).flip());
            for (ByteBuffer part : append.parts) {
                at = put(buffer, at, part.duplicate());
            }
            current.size += total;
            current.counted += total;
            totalBytes.addAndGet(total);
        }
        tail.clear();
        tail.put(buffer.duplicate().flip().position(buffer.position() / BLOCK * BLOCK)).flip();
        padToBlock(buffer);
        Write write = new Write(current, at, buffer.flip());
        lastWrite = write;
        return write;
    }

    /**
     * Starts staging at the current segment's end: in its last block, staged again from
     * {@link #tail}, unless the last batch may still be writing that block (then at the next).
     * Returns the offset of the buffer's first byte in the segment.
     */
    private long startBatch(ByteBuffer buffer) {
        long blockStart = current.size / BLOCK * BLOCK;
        if (current.size > blockStart && lastWrite != null && !lastWrite.done) {
            long skipped = blockStart + BLOCK - current.size;
            current.size += skipped;
            current.counted += skipped;
            totalBytes.addAndGet(skipped);
            return current.size;
        }
        buffer.put(tail.duplicate());
        return blockStart;
    }

    /** Copies {@code bytes} into the buffer, writing out the buffer's full blocks whenever it fills; returns the new offset of buffer[0]. */
    private long put(ByteBuffer buffer, long at, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            if (!buffer.hasRemaining()) {
                at += write(current, buffer, at, false);
            }
            int n = Math.min(bytes.remaining(), buffer.remaining());
            buffer.put(buffer.position(), bytes, bytes.position(), n);
            buffer.position(buffer.position() + n);
            bytes.position(bytes.position() + n);
        }
        return at;
    }

    /**
     * Writes the staged blocks at offset {@code at} of {@code segment} and returns how many bytes
     * of the buffer went; a partly filled last block is written (padded) only when {@code all},
     * else it stays at the start of the buffer.
     */
    private long write(Segment segment, ByteBuffer buffer, long at, boolean all) throws IOException {
        int staged = buffer.position();
        int full = staged / BLOCK * BLOCK;
        if (all) {
            padToBlock(buffer);
            full = buffer.position();
        }
        writerInterrupted |= segment.write(buffer.duplicate().flip().limit(full), at);
        ByteBuffer rest = buffer.duplicate().flip().position(Math.min(full, staged)).limit(staged);
        buffer.clear();
        if (!all) {
            buffer.put(rest);
        }
        return full;
    }

    /** Fills the buffer with zeros up to the end of its block: what the preallocated file holds there anyway. */
    private static void padToBlock(ByteBuffer buffer) {
        int padding = -buffer.position() & (BLOCK - 1);
        buffer.put(ZERO_CHUNK.duplicate().limit(padding));
    }

    /** A batch's last write, done by its writer after it handed the turn on. */
    private static final class Write {
        final Segment segment;
        final long at;
        final ByteBuffer blocks;
        /** Set once the write returned, or failed: a later batch may then write its last block again. */
        volatile boolean done;

        Write(Segment segment, long at, ByteBuffer blocks) {
            this.segment = segment;
            this.at = at;
            this.blocks = blocks;
        }

        /** Writes the blocks; returns whether the caller was interrupted meanwhile. */
        boolean run() throws IOException {
            try {
                return segment.write(blocks, at);
            } catch (IOException | RuntimeException e) {
                segment.broken = true; // before done: no later batch may write this block again into a broken segment
                throw e;
            } finally {
                synchronized (this) {
                    done = true;
                    notifyAll();
                }
            }
        }

        /** Waits for the write to return; returns whether the caller was interrupted meanwhile. */
        synchronized boolean await() {
            boolean interrupted = false;
            while (!done) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return interrupted;
        }
    }

    /**
     * Starts the next segment in the spare file, or in a file prepared here when there is none.
     * What this batch wrote into the last segment is synced first: the batch's own sync covers
     * only the segment it ends in.
     */
    private void roll(int slot) throws IOException {
        if (current != null) {
            writerInterrupted |= current.sync(slot);
            if (lastWrite != null && lastWrite.await()) { // it may still be writing the blocks the cut takes
                writerInterrupted = true;
            }
            writerInterrupted |= cutBack(current);
        }
        long id = highestSegmentId + 1; // every segment and set-aside file was seen by the scan
        Path file = directory.resolve(String.format("%016x%s", id, SUFFIX));
        current = segmentFromSpare(file, id);
        tail.clear();
        tail.put(Segment.header(id)).flip();
        lastWrite = null;
        highestSegmentId = id;
        totalBytes.addAndGet(SEGMENT_HEADER);
        current.counted = SEGMENT_HEADER;
        segments.put(id, current);
        writerInterrupted |= syncDirectory();
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
                    writerInterrupted = true;
                }
            }
            ready = spare == Spare.READY;
            spare = Spare.BUSY;
        }
        try {
            if (!ready) {
                writerInterrupted |= prepareSpareFile();
            }
            Segment[] made = new Segment[1];
            writerInterrupted |= InterruptedIo.repeatAfterInterrupts(() -> made[0] = Segment.fromSpare(spareFile, file, id, directIo), NOTHING);
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
    private boolean prepareSpare() {
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
        return InterruptedIo.repeatAfterInterrupts(() -> Segment.prepare(spareFile, segmentBytes, directIo), NOTHING);
    }

    /** Reads {@code length} bytes from offset {@code from} of the body of the record at {@code position}. */
    byte[] read(Position position, int from, int length) throws IOException {
        Segment segment = segments.get(position.segment());
        if (segment == null) {
            throw new IOException("journal segment " + position.segment() + " of " + directory + " is gone");
        }
        boolean interrupted = Thread.interrupted(); // see append: keep the shared channel open
        try {
            ByteBuffer buffer = ByteBuffer.allocate(length);
            interrupted |= InterruptedIo.repeatAfterInterrupts(() -> {
                buffer.clear();
                readFully(segment.channel, buffer, position.offset() + RECORD_HEADER + from);
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
     * being synced.
     *
     * @return false when the segment was in use and stays
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
        totalBytes.addAndGet(-segment.counted);
        try {
            segment.close();
            Files.deleteIfExists(segment.file);
            if (syncDirectory()) {
                Thread.currentThread().interrupt();
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Outbox journal: could not delete " + segment.file + "; it will be scanned again at the next start", e);
        }
        return true;
    }

    /** Segment ids, oldest first. */
    List<Long> segmentIds() {
        return List.copyOf(segments.keySet());
    }

    int segmentCount() {
        return segments.size();
    }

    /** The oldest segment's id, or -1 when there is none. */
    long oldestSegment() {
        Map.Entry<Long, Segment> first = segments.firstEntry();
        return first == null ? -1 : first.getKey();
    }

    /** The segment new records go to, or -1 before the first append. */
    long currentSegment() {
        synchronized (lock) {
            Segment segment = current;
            return segment == null ? -1 : segment.id;
        }
    }

    /** Whether records go to the current segment with direct I/O; false before the first append. */
    boolean writesDirectly() {
        synchronized (lock) {
            Segment segment = current;
            return segment != null && segment.writesDirectly();
        }
    }

    long sizeBytes() {
        return totalBytes.get();
    }

    long corruptRecords() {
        synchronized (lock) {
            return corrupt;
        }
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
            closed = true;
            turnOpen = true; // yielding waiters look again, and find the journal closed
            for (Append waiting : queued) {
                LockSupport.unpark(waiting.caller);
            }
            boolean interrupted = false;
            while (writing || syncing() || spare == Spare.BUSY) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            last = current;
        }
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
            Files.deleteIfExists(spareFile);
        } catch (IOException e) {
            LOG.log(Level.FINE, "Outbox journal: could not delete " + spareFile + "; the next start does", e);
        }
    }

    /**
     * Syncs the directory, so that the files created, renamed and deleted in it stay so.
     *
     * @return whether the caller was interrupted meanwhile; its interrupt status is clear
     */
    private boolean syncDirectory() throws IOException {
        return InterruptedIo.repeatAfterInterrupts(() -> {
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        }, NOTHING);
    }

    /** The checksum of a record: of its length and its body, given as one or more parts. */
    static int checksum(int length, ByteBuffer... body) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(4).putInt(0, length));
        for (ByteBuffer part : body) {
            crc.update(part.duplicate());
        }
        return (int) crc.getValue();
    }

    static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + position);
            }
            position += n;
        }
    }

    /** One caller's record on its way to disk. */
    private static final class Append {
        final ByteBuffer[] parts;
        final int length;
        /** Computed by the caller, so the writer, which holds everyone up, does not. */
        final int checksum;
        final Thread caller;
        Position position;
        IOException failure;
        volatile boolean done;

        Append(ByteBuffer[] parts, int length, Thread caller) {
            this.parts = parts;
            this.length = length;
            this.checksum = checksum(length, parts);
            this.caller = caller;
        }

        /** Publishes the outcome (done is written last) and wakes the caller. */
        void complete(IOException failure) {
            this.failure = failure;
            this.done = true;
            LockSupport.unpark(caller);
        }

        Position result() {
            if (failure != null) {
                throw new StoreException("journal write failed: " + failure.getMessage(), failure);
            }
            return position;
        }
    }

}
