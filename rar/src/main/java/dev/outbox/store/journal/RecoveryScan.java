package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import java.util.logging.Logger;

/**
 * The scan at open: reads every segment back in order, hands each sound record to a visitor,
 * and leaves each segment cut back to its last sound record.
 *
 * <p>What it finds between records, and what it does:
 * <ul>
 *   <li>a sound record ({@link RecordFormat#recordAt}): handed on, whatever its length;</li>
 *   <li>zeros up to the next block where a sound record starts: what a batch left, skipped
 *       silently (see {@link BatchWriter});</li>
 *   <li>other zero runs between records: a batch that a crash cut off while a later one was
 *       synced, skipped with a warning;</li>
 *   <li>anything else before a sound record: a corrupt record, its bytes copied to
 *       {@code corrupt/<segment>-<offset>.bad}, reported once, counted;</li>
 *   <li>at the end: zeros are unwritten space and go; a torn tail is set aside first (without
 *       the run of zeros after it, when that is at least {@value #UNWRITTEN_TAIL} bytes);</li>
 *   <li>a file without a valid segment header: set aside whole and deleted.</li>
 * </ul>
 * A file already set aside at an earlier start is not copied or counted again.
 *
 * <p>Operation: {@link #scan} once, before the first append, from one thread;
 * {@link #corruptRecords} from any thread. Misuse: scanning twice counts every segment's bytes
 * twice. A file that cannot be read or listed throws {@link StoreException} naming it.
 */
final class RecoveryScan {

    private static final Logger LOG = Logger.getLogger(Journal.class.getName());

    /**
     * A run of zeros at least this long at the end of a torn tail is unwritten, preallocated
     * space, not part of the torn record: it is not copied when the record is set aside.
     */
    private static final int UNWRITTEN_TAIL = 4096;

    /** The most of the oldest segment {@link #expectedRecords} reads to learn the size of a record. */
    private static final int SAMPLE_BYTES = 1024 * 1024;

    private static final ByteBuffer ZERO_CHUNK = ByteBuffer.allocate(64 * 1024).asReadOnlyBuffer();

    private final SegmentSet segments;
    private final Path directory;
    private final JournalFiles files;
    private final int maxRecordBytes;
    private final AtomicLong corrupt = new AtomicLong();

    RecoveryScan(SegmentSet segments, int maxRecordBytes) {
        this.segments = segments;
        this.directory = segments.directory();
        this.files = segments.files();
        this.maxRecordBytes = maxRecordBytes;
    }

    /** Records set aside since the journal was opened. */
    long corruptRecords() {
        return corrupt.get();
    }

    /**
     * About how many records that {@code counted} accepts the segments hold, told before the scan
     * so that its caller can size what it fills (a map grown record by record rehashes everything
     * at each doubling): their bytes, divided by the bytes per such record at the start of the
     * oldest (at most {@value #SAMPLE_BYTES} of it read, record headers followed without a
     * checksum; {@code counted} sees the start of a body). A guess, never trusted for anything but
     * a size; 0 when there is nothing to go by or the files cannot be read (the scan then says why).
     */
    long expectedRecords(Predicate<ByteBuffer> counted) {
        try {
            List<Path> segmentFiles = segmentFiles();
            if (segmentFiles.isEmpty()) {
                return 0;
            }
            long bytes = 0;
            for (Path file : segmentFiles) {
                bytes += Files.size(file);
            }
            ByteBuffer sample = ByteBuffer.allocate((int) Math.min(SAMPLE_BYTES, Files.size(segmentFiles.get(0))));
            try (FileChannel channel = files.open(segmentFiles.get(0), StandardOpenOption.READ)) {
                RecordFormat.readFully(channel, sample, 0);
            }
            long records = 0;
            long at = RecordFormat.SEGMENT_HEADER;
            while (at + RecordFormat.HEADER <= sample.limit()) {
                int position = (int) at;
                if (sample.getInt(position) == RecordFormat.MAGIC) {
                    int length = Math.max(1, sample.getInt(position + 4));
                    int body = position + RecordFormat.HEADER;
                    if (body < sample.limit() && counted.test(sample.slice(body, Math.min(length, sample.limit() - body)))) {
                        records++;
                    }
                    at = body + (long) length;
                } else if (sample.getInt(position) == 0) {
                    at = (at / BatchWriter.BLOCK + 1) * BatchWriter.BLOCK; // zeros a batch left to the next block
                } else {
                    break;
                }
            }
            return records == 0 ? 0 : bytes / Math.max(1, at / records);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** Reads every segment in order and hands each sound record to {@code visitor}. */
    void scan(Journal.Visitor visitor) {
        List<Path> segmentFiles;
        try {
            segmentFiles = segmentFiles();
        } catch (IOException e) {
            throw new StoreException("cannot list journal directory " + directory + ": " + e.getMessage(), e);
        }
        segments.seen(highestSetAside());
        segments.deleteSpareFile();
        try (ReadAhead readAhead = new ReadAhead(segmentFiles)) {
            for (int i = 0; i < segmentFiles.size(); i++) {
                Path file = segmentFiles.get(i);
                readAhead.scanning(i);
                long id = Long.parseUnsignedLong(file.getFileName().toString().replace(SegmentSet.SUFFIX, ""), 16);
                segments.seen(id);
                try {
                    Segment segment = Segment.openForRead(files, file, id);
                    if (segment == null) {
                        setAside(file, 0, Files.size(file), "a segment without a valid header");
                        files.deleteIfExists(file);
                        continue;
                    }
                    segments.opened(segment);
                    scan(segment, visitor);
                } catch (IOException e) {
                    throw new StoreException("cannot read journal segment " + file + ": " + e.getMessage(), e);
                }
            }
        }
    }

    private List<Path> segmentFiles() throws IOException {
        return files.list(directory).stream().filter(p -> p.getFileName().toString().endsWith(SegmentSet.SUFFIX)).sorted().toList();
    }

    private long highestSetAside() {
        Path corruptDirectory = directory.resolve("corrupt");
        if (!Files.isDirectory(corruptDirectory)) {
            return 0;
        }
        try {
            return files.list(corruptDirectory).stream().map(p -> p.getFileName().toString())
                    .filter(name -> name.matches("[0-9a-f]{16}\\" + SegmentSet.SUFFIX + "-\\d+\\.bad"))
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
    private void scan(Segment segment, Journal.Visitor visitor) throws IOException {
        long fileSize = segment.channel.size();
        if (fileSize > Integer.MAX_VALUE) {
            throw new IOException("journal segment " + segment.file + " is " + fileSize + " bytes, more than a segment can be");
        }
        int size = (int) fileSize;
        ByteBuffer map = segment.channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
        int position = RecordFormat.SEGMENT_HEADER;
        int end = size;
        while (position < size) {
            // Where the last record ended, any length the file holds counts: a record written
            // when the message size limit was larger must come back after it was lowered.
            ByteBuffer body = RecordFormat.recordAt(map, position, Integer.MAX_VALUE);
            if (body != null) {
                visitor.record(new Journal.Position(segment.id, position), body);
                position += RecordFormat.HEADER + body.capacity();
                continue;
            }
            int nextBlock = (position + BatchWriter.BLOCK - 1) / BatchWriter.BLOCK * BatchWriter.BLOCK;
            if (nextBlock > position && nextBlock < size && nextNonZero(map, position) == nextBlock
                    && RecordFormat.recordAt(map, nextBlock, Integer.MAX_VALUE) != null) {
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
            boolean restOfBlock = next % BatchWriter.BLOCK == 0 && next - position < BatchWriter.BLOCK; // left by a batch: nothing lost
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
            try (FileChannel cut = files.open(segment.file, StandardOpenOption.WRITE)) {
                cut.truncate(end);
                cut.force(true);
            }
        }
        segment.size = end;
        segment.counted = end;
        segments.count(end);
    }

    /** The offset of the next sound record at or after {@code from}, or -1; skips zeros quickly. */
    private int nextRecord(ByteBuffer map, int from) {
        int size = map.limit();
        for (int at = from; at + RecordFormat.HEADER <= size; ) {
            if (map.get(at) == 0) { // no record starts with a zero: its magic does not
                at = nextNonZero(map, at);
                if (at < 0) {
                    return -1;
                }
                continue;
            }
            // Searching through damage: a garbage length is not worth a checksum over megabytes.
            if (RecordFormat.recordAt(map, at, maxRecordBytes) != null) {
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
    private void setAside(Path file, long from, long to, String what) throws IOException {
        Path corruptDirectory = directory.resolve("corrupt");
        Path target = corruptDirectory.resolve(file.getFileName() + "-" + from + ".bad");
        if (Files.exists(target)) {
            return; // reported at an earlier start
        }
        Files.createDirectories(corruptDirectory);
        // Copied under a temporary name and renamed once whole: the final name means done.
        Path partial = corruptDirectory.resolve(target.getFileName() + ".partial");
        try (FileChannel in = files.open(file, StandardOpenOption.READ);
             FileChannel out = files.open(partial, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                     StandardOpenOption.WRITE)) {
            for (long at = from; at < to; ) {
                long n = in.transferTo(at, to - at, out);
                if (n <= 0) {
                    throw new IOException("cannot copy " + file + " at byte " + at + " to " + partial + ": end of file");
                }
                at += n;
            }
            out.force(true);
        }
        files.move(partial, target);
        files.syncDirectory(corruptDirectory);
        corrupt.incrementAndGet();
        LOG.warning(() -> "Outbox journal: " + what + " in " + file + " at bytes " + from + ".." + to
                + " was set aside as " + target + "; the rest of the journal is intact");
    }
}
