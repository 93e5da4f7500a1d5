package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
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
 * <p>Group commit: callers of {@link #append} queue their records; whichever caller finds no
 * write under way becomes the writer for everything queued so far (after a short commit
 * window when the last batch had company), writes it with one sync and wakes the rest.
 * Concurrent submitters thus share one fsync, and no thread of the journal's own exists.
 *
 * <p>Record layout: magic (4 bytes), body length (4), CRC32C of the length and body (4), body.
 * A record whose magic, length or checksum does not hold is set aside: its bytes are copied to
 * {@code corrupt/} beside the segments, it is reported once, and the scan resumes at the next
 * record that does hold.
 *
 * <p>Threading: append, read and delete are safe from any thread; scan must finish before the
 * first append. Misuse: append after close throws {@link StoreException}.
 */
final class Journal implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Journal.class.getName());

    static final int RECORD_MAGIC = 0x4F42584A; // "OBXJ"
    static final int RECORD_HEADER = 12;
    static final long SEGMENT_MAGIC = 0x4F5554424F584A31L; // "OUTBOXJ1"
    static final int SEGMENT_HEADER = 16;
    private static final String SUFFIX = ".journal";

    /** Where a record starts: its segment and the offset of its header in that file. */
    record Position(long segment, long offset) {
    }

    /** Receives the records of {@link #scan}, in order. */
    interface Visitor {
        void record(Position position, ByteBuffer body);
    }

    private final Path directory;
    private final long segmentBytes;
    private final int maxRecordBytes;
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
    private boolean writing;
    private int lastBatchSize;
    private Thread gatherer;
    /** Set by the writer of the moment, read and cleared by it after its turn. */
    private boolean interruptedWhileGathering;
    private volatile long lastSyncNanos;

    /** The longest the writer waits for company before it writes (see {@link #gather}). */
    static final long MAX_WINDOW_NANOS = 300_000;
    /** Batches one writer writes in a row before it hands the turn on. */
    static final int WRITER_ROUNDS = 4;
    private boolean closed;

    // Touched only by the writer of the moment.
    private Segment current;

    Journal(Path directory, long segmentBytes, int maxRecordBytes) {
        this.directory = directory;
        this.segmentBytes = segmentBytes;
        this.maxRecordBytes = maxRecordBytes;
        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new StoreException("cannot create journal directory " + directory + ": " + e.getMessage(), e);
        }
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

    /** Scans one segment through a read-only mapping: no copy and no system call per record. */
    private void scan(Segment segment, Visitor visitor) throws IOException {
        long size = segment.channel.size();
        if (size > Integer.MAX_VALUE) {
            throw new IOException("journal segment " + segment.file + " is " + size + " bytes, more than a segment can be");
        }
        ByteBuffer map = segment.channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        int position = SEGMENT_HEADER;
        while (position < size) {
            ByteBuffer body = recordAt(map, position);
            if (body != null) {
                visitor.record(new Position(segment.id, position), body);
                position += RECORD_HEADER + body.capacity();
                continue;
            }
            int next = position + 1;
            while (next < size && recordAt(map, next) == null) {
                next++;
            }
            setAside(segment.file, position, next, next == size ? "a torn or corrupt record at the end" : "a corrupt record");
            position = next;
        }
        segment.size = size;
        segment.counted = size;
        totalBytes.addAndGet(size);
    }

    /** The body of the sound record at {@code position} of {@code map}, or null if none starts there. */
    private ByteBuffer recordAt(ByteBuffer map, int position) {
        int size = map.limit();
        if (position + RECORD_HEADER > size) {
            return null;
        }
        int magic = map.getInt(position);
        int length = map.getInt(position + 4);
        int crc = map.getInt(position + 8);
        if (magic != RECORD_MAGIC || length < 1 || length > maxRecordBytes || (long) position + RECORD_HEADER + length > size) {
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
     * Appends {@code body} and returns where it went, once it is on stable storage.
     *
     * @throws StoreException when writing or syncing failed; the record may or may not be on
     *                        disk, and a scan treats a partial one as torn
     */
    Position append(ByteBuffer body) {
        return appendAll(List.of(body)).get(0);
    }

    /**
     * Appends {@code bodies} in one batch, in order, and returns where each went once all are
     * on stable storage: one sync for all of them.
     *
     * @throws StoreException as {@link #append}; then none of the records may be relied on
     */
    List<Position> appendAll(List<ByteBuffer> bodies) {
        List<Append> appends = new ArrayList<>(bodies.size());
        for (ByteBuffer body : bodies) {
            if (body.remaining() < 1 || body.remaining() > maxRecordBytes) {
                throw new IllegalArgumentException("journal record of " + body.remaining() + " bytes is outside 1.." + maxRecordBytes);
            }
            appends.add(new Append(body, Thread.currentThread()));
        }
        Append last = appends.get(appends.size() - 1);
        // Waiting parks on the caller's own record: only the writers of a finished batch wake,
        // not everyone queued (a shared monitor's notifyAll costs a context switch each).
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (lock) {
                if (closed) {
                    throw new StoreException("journal " + directory + " is closed");
                }
                queued.addAll(appends); // together, so one writer takes them all in one batch
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
                    if (!writing) {
                        writing = true;
                        myTurn = true;
                    }
                }
                if (myTurn) {
                    writeQueued();
                    interrupted |= interruptedWhileGathering;
                    interruptedWhileGathering = false;
                    continue;
                }
                LockSupport.park(this);
                interrupted |= Thread.interrupted(); // the records are queued and will be written: finish first
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
     * The writer's turn: writes what is queued, wakes its callers, and goes on with what queued
     * meanwhile (a few rounds at most, so that its own caller is not kept waiting long); then
     * hands the turn to the first caller still queued. Runs with the interrupt flag clear: an
     * interrupt during channel I/O closes the channel for every thread.
     */
    private void writeQueued() {
        for (int round = 0; ; round++) {
            gather();
            List<Append> batch;
            synchronized (lock) {
                batch = queued;
                queued = new ArrayList<>();
                lastBatchSize = batch.size();
            }
            IOException failure = null;
            try {
                long started = System.nanoTime();
                write(batch);
                lastSyncNanos = System.nanoTime() - started;
            } catch (IOException e) {
                failure = e;
                current = null; // the next writer starts a fresh segment after a partial write
            }
            for (Append done : batch) {
                done.complete(failure);
            }
            synchronized (lock) {
                if (queued.isEmpty() || round + 1 >= WRITER_ROUNDS || closed) {
                    writing = false;
                    if (!queued.isEmpty()) {
                        LockSupport.unpark(queued.get(0).caller);
                    }
                    lock.notifyAll(); // for close(), which waits for the writer to finish
                    return;
                }
            }
        }
    }

    /**
     * The commit window. The writers released by the last sync submit again a few microseconds
     * after it; without a pause the new writer would take only those who queued during the
     * sync, and the submitters would settle into two alternating halves, each sync carrying
     * half of them. So when the last batch had company, the writer waits a moment (a third of
     * the last sync, at most {@link #MAX_WINDOW_NANOS}) or until as many records as last time
     * are queued. A lone submitter never waits.
     */
    private void gather() {
        long window;
        synchronized (lock) {
            if (lastBatchSize <= 1 || queued.size() >= lastBatchSize) {
                return;
            }
            window = Math.min(MAX_WINDOW_NANOS, lastSyncNanos / 3);
            gatherer = Thread.currentThread();
        }
        long deadline = System.nanoTime() + window;
        for (long left = window; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                interruptedWhileGathering = true; // parkNanos would not wait again with the flag set
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

    private void write(List<Append> batch) throws IOException {
        List<ByteBuffer> pending = new ArrayList<>(batch.size() * 2);
        long pendingFrom = 0;
        for (Append append : batch) {
            int length = append.body.remaining();
            long total = RECORD_HEADER + (long) length;
            if (current == null || (current.size + total > segmentBytes && current.size > SEGMENT_HEADER)) {
                flush(pending, pendingFrom);
                roll();
            }
            if (pending.isEmpty()) {
                pendingFrom = current.size;
            }
            ByteBuffer header = ByteBuffer.allocate(RECORD_HEADER);
            header.putInt(RECORD_MAGIC).putInt(length).putInt(checksum(length, append.body.duplicate())).flip();
            append.position = new Position(current.id, current.size);
            pending.add(header);
            pending.add(append.body);
            current.size += total;
        }
        flush(pending, pendingFrom);
        current.channel.force(false);
    }

    private void flush(List<ByteBuffer> pending, long at) throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        ByteBuffer[] buffers = pending.toArray(ByteBuffer[]::new);
        long bytes = 0;
        for (ByteBuffer buffer : buffers) {
            bytes += buffer.remaining();
        }
        FileChannel channel = current.channel;
        channel.position(at);
        for (long written = 0; written < bytes; ) {
            written += channel.write(buffers);
        }
        totalBytes.addAndGet(bytes);
        current.counted += bytes; // only what was written: a failed write leaves the total true
        pending.clear();
    }

    private void roll() throws IOException {
        if (current != null) {
            current.channel.force(false);
        }
        long id = Math.max(highestSegmentId, segments.isEmpty() ? 0 : segments.lastKey()) + 1;
        highestSegmentId = id;
        Path file = directory.resolve(String.format("%016x%s", id, SUFFIX));
        current = Segment.create(file, id);
        totalBytes.addAndGet(SEGMENT_HEADER);
        current.counted = SEGMENT_HEADER;
        segments.put(id, current);
        syncDirectory();
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
            try {
                readFully(segment.channel, buffer, position.offset() + RECORD_HEADER + from);
            } catch (ClosedChannelException e) {
                buffer.clear();
                readFully(segment.reopen(), buffer, position.offset() + RECORD_HEADER + from);
            }
            return buffer.array();
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Deletes segment {@code id}, which must not be the one being written. */
    void delete(long id) {
        Segment segment = segments.get(id);
        if (segment == null) {
            return;
        }
        synchronized (lock) {
            if (segment == current) {
                throw new IllegalStateException("journal segment " + id + " is the one being written");
            }
        }
        segments.remove(id);
        totalBytes.addAndGet(-segment.counted);
        try {
            segment.channel.close();
            Files.deleteIfExists(segment.file);
            syncDirectory();
        } catch (IOException e) {
            LOG.log(Level.WARNING, "Outbox journal: could not delete " + segment.file + "; it will be scanned again at the next start", e);
        }
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

    long sizeBytes() {
        return totalBytes.get();
    }

    long corruptRecords() {
        synchronized (lock) {
            return corrupt;
        }
    }

    @Override
    public void close() {
        synchronized (lock) {
            closed = true;
            while (writing) {
                try {
                    lock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        for (Segment segment : segments.values()) {
            try {
                segment.channel.close();
            } catch (IOException e) {
                LOG.log(Level.FINE, "closing " + segment.file, e);
            }
        }
        segments.clear();
    }

    private void syncDirectory() throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }

    static int checksum(int length, ByteBuffer body) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(4).putInt(0, length));
        crc.update(body.duplicate());
        return (int) crc.getValue();
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + position);
            }
            position += n;
        }
    }

    private static long writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long written = 0;
        while (buffer.hasRemaining()) {
            int n = channel.write(buffer, position + written);
            written += n;
        }
        return written;
    }

    /** One caller's record on its way to disk. */
    private static final class Append {
        final ByteBuffer body;
        final Thread caller;
        Position position;
        IOException failure;
        volatile boolean done;

        Append(ByteBuffer body, Thread caller) {
            this.body = body;
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

    /** One segment file and its size. */
    private static final class Segment {
        final Path file;
        final long id;
        volatile FileChannel channel;
        volatile long size;
        /** Bytes of this segment counted in the journal's total: what was written, not what was planned. */
        volatile long counted;

        private Segment(Path file, long id, FileChannel channel, long size) {
            this.file = file;
            this.id = id;
            this.channel = channel;
            this.size = size;
        }

        /** Opens the file again after its channel was closed under a reader, for example by an interrupt. */
        synchronized FileChannel reopen() throws IOException {
            if (!channel.isOpen()) {
                channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            }
            return channel;
        }

        static Segment create(Path file, long id) throws IOException {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER).putLong(SEGMENT_MAGIC).putLong(id).flip();
            writeFully(channel, header, 0);
            channel.force(true);
            return new Segment(file, id, channel, SEGMENT_HEADER);
        }

        /** The segment, or null if its header is missing or wrong. */
        static Segment openForRead(Path file, long id) throws IOException {
            FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
            ByteBuffer header = ByteBuffer.allocate(SEGMENT_HEADER);
            if (channel.size() < SEGMENT_HEADER) {
                channel.close();
                return null;
            }
            readFully(channel, header, 0);
            header.flip();
            if (header.getLong() != SEGMENT_MAGIC || header.getLong() != id) {
                channel.close();
                return null;
            }
            return new Segment(file, id, channel, channel.size());
        }
    }
}
