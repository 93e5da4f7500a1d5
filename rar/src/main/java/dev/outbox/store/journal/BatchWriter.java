package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * Lays a batch of records out in the current segment and writes it as whole blocks.
 *
 * <p>Owns each sync slot's staging buffer (block-aligned, for direct I/O: {@link DirectIo}), a
 * copy of the current segment's last, partly filled block (the tail), and the last batch's
 * write. A batch is put together in its slot's buffer and goes out in one write after the turn
 * is handed on ({@link Write}); only what did not fit the buffer, and what went to a segment the
 * batch rolled away from, is written while the turn is held. A batch starts in the tail block and
 * writes that block's records again, so records lie back to back; while the batch before is still
 * being written, the new one starts at the next block instead and leaves zeros, so no two writes
 * under way touch the same block. The last block is padded with zeros, as the preallocated file
 * holds there anyway.
 *
 * <p>Operations: {@link #stage} lays a batch out and returns the write that finishes it;
 * {@link #takeInterrupted} tells the writer whether it was interrupted meanwhile. Threading: only
 * the holder of the write turn calls them; a {@link Write} is run by the writer that staged it,
 * after handing the turn on. Misuse: staging outside the turn, or into a slot whose last batch is
 * not synced, overwrites a buffer still being written. A failed write marks its segment broken,
 * and the next batch goes to a new segment.
 */
final class BatchWriter {

    /**
     * The unit of writing: every write covers whole blocks at block offsets, as direct I/O
     * requires (4096 satisfies every logical block size in use).
     */
    static final int BLOCK = 4096;

    /** Each sync slot's staging buffer: a batch of 16 records of 64 KiB fits; larger batches go in pieces. */
    static final int STAGING_BYTES = 1024 * 1024 + 2 * BLOCK;

    private static final ByteBuffer ZERO_CHUNK = ByteBuffer.allocate(64 * 1024).asReadOnlyBuffer();

    private final SegmentSet segments;
    private final long segmentBytes;
    /**
     * Where the batch of each sync slot is put together, block-aligned, before it is written:
     * the batch goes out in one write, after the turn is handed on.
     */
    private final ByteBuffer[] staging = new ByteBuffer[GroupCommit.SYNC_SLOTS];
    /** The bytes of the current segment's last, partly filled block: a batch that starts there writes them again. */
    private final ByteBuffer tail = ByteBuffer.allocate(BLOCK);
    /** The last batch's write, which may still be under way outside the turn; null after a roll. */
    private Write lastWrite;
    /** An interrupt that came while the writer wrote or waited; reported to its caller after the turn. */
    private boolean writerInterrupted;

    BatchWriter(SegmentSet segments, long segmentBytes) {
        this.segments = segments;
        this.segmentBytes = segmentBytes;
        for (int slot = 0; slot < GroupCommit.SYNC_SLOTS; slot++) {
            staging[slot] = DirectIo.alignedBuffer(STAGING_BYTES);
        }
    }

    /** Whether the writer was interrupted since the last call; clears it. */
    boolean takeInterrupted() {
        boolean interrupted = writerInterrupted;
        writerInterrupted = false;
        return interrupted;
    }

    /**
     * Lays {@code batch} out in the current segment, rolling to new ones as they fill, and stages
     * it in the slot's buffer; returns the write that puts the last of it into the file, for the
     * caller to do after handing the turn on. Sets each append's position.
     */
    Write stage(List<GroupCommit.Append> batch, int slot) throws IOException {
        Segment current = segments.current();
        if (current != null && current.broken) {
            segments.forgetCurrent();
            current = null;
        }
        ByteBuffer buffer = staging[slot];
        buffer.clear();
        long at = -1; // where buffer[0] goes in the current segment, once something is staged
        for (GroupCommit.Append append : batch) {
            long total = RecordFormat.HEADER + (long) append.length;
            if (current == null || (current.size + total > segmentBytes && current.size > RecordFormat.SEGMENT_HEADER)) {
                if (at >= 0) {
                    write(current, buffer, at, true);
                    at = -1;
                }
                current = roll(current, slot);
            }
            if (at < 0) {
                at = startBatch(current, buffer);
            }
            append.position = new Journal.Position(current.id, current.size);
            at = put(current, buffer, at, RecordFormat.header(append.length, append.checksum));
            for (ByteBuffer part : append.parts) {
                at = put(current, buffer, at, part.duplicate());
            }
            current.size += total;
            current.counted += total;
            segments.count(total);
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
    private long startBatch(Segment current, ByteBuffer buffer) {
        long blockStart = current.size / BLOCK * BLOCK;
        if (current.size > blockStart && lastWrite != null && !lastWrite.done) {
            long skipped = blockStart + BLOCK - current.size;
            current.size += skipped;
            current.counted += skipped;
            segments.count(skipped);
            return current.size;
        }
        buffer.put(tail.duplicate());
        return blockStart;
    }

    /** Copies {@code bytes} into the buffer, writing out the buffer's full blocks whenever it fills; returns the new offset of buffer[0]. */
    private long put(Segment current, ByteBuffer buffer, long at, ByteBuffer bytes) throws IOException {
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

    /**
     * Starts the next segment in the spare file ({@link SegmentSet#startNext}). What this batch
     * wrote into the last segment is synced first: the batch's own sync covers only the segment
     * it ends in. Returns the new current segment.
     */
    private Segment roll(Segment current, int slot) throws IOException {
        if (current != null) {
            writerInterrupted |= current.sync(slot);
            if (lastWrite != null && lastWrite.await()) { // it may still be writing the blocks the cut takes
                writerInterrupted = true;
            }
        }
        writerInterrupted |= segments.startNext();
        Segment next = segments.current();
        tail.clear();
        tail.put(RecordFormat.segmentHeader(next.id)).flip();
        lastWrite = null;
        writerInterrupted |= segments.syncDirectory();
        return next;
    }

    /** A batch's last write, done by its writer after it handed the turn on. */
    static final class Write {
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
}
