package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One segment file of a {@link Journal}: where records go next, how many bytes count toward the
 * store's size, and the channels its batches are synced through.
 *
 * <p>Segments are written into space that is already allocated and zeroed ({@link #prepare}), so
 * a sync flushes data only: an append that grows a file also makes the file system commit the
 * new size and extents, which costs this disk two or three cache flushes instead of one, and
 * makes the syncs of concurrent batches wait for each other in the file system's journal. A
 * scan therefore stops at the first all-zero tail, and a segment that will not be written again
 * is cut back to its last record.
 *
 * <p>Records are written through {@link #writeChannel}, with direct I/O where the file system
 * has it ({@link DirectIo}), and so are the zeros of {@link #prepare}; reads and the scan go
 * through the page cache.
 *
 * <p>Each batch in flight syncs through a channel of its own ({@link #syncChannel}): Linux reports
 * a failed write-back once per open file, so two batches syncing through one channel could see
 * the error reported to the wrong one, and the other would be acknowledged without being on disk.
 *
 * <p>Interrupts: the JDK closes a file channel, for every thread using it, when a thread blocked
 * in it is interrupted. The journal writes in its callers' threads, and WildFly interrupts threads
 * (cancelled work, a transaction timeout), so {@link #write} and {@link #sync} have their I/O done
 * again, on channels opened anew, when an interrupt closed the one in use ({@link InterruptedIo}):
 * one interrupted caller must not fail a batch that holds the records of others. (A sync through
 * the page cache is the exception, see {@link #sync}.)
 */
final class Segment {

    /** Zeros to fill prepared files with, block-aligned for direct I/O; never written to, shared through duplicates. */
    private static final ByteBuffer ZEROS = DirectIo.alignedBuffer(1024 * 1024).asReadOnlyBuffer();

    private final JournalFiles files;
    final Path file;
    final long id;
    /** Writes and reads go through this channel; so do the syncs of slot 0. */
    volatile FileChannel channel;
    /** Channels of the sync slots above 0, opened when first used; each touched only by whoever holds its slot. */
    private final FileChannel[] syncChannels;
    /** Records are written through this channel: with direct I/O where the file system has it, else {@link #channel}. */
    private volatile FileChannel writeChannel;
    /** Opens {@link #writeChannel} again after an interrupt closed it; null when this segment is not written directly. */
    private final DirectIo directIo;
    /** Where the next record goes. */
    volatile long size;
    /** Bytes of this segment counted in the journal's total: its records and the zeros left between batches. */
    volatile long counted;
    /** Set when a sync failed: what the file holds is unknown, so no more records go here. */
    volatile boolean broken;
    /** Batches written into this segment and not yet synced: guarded by the journal's lock. */
    int syncing;
    /** Set by {@link #close}: nothing is opened again after it. Guarded by this. */
    private boolean closed;

    private Segment(JournalFiles files, Path file, long id, FileChannel channel, FileChannel writeChannel, DirectIo directIo, long size) {
        this.files = files;
        this.file = file;
        this.id = id;
        this.channel = channel;
        this.writeChannel = writeChannel;
        this.directIo = writeChannel == null ? null : directIo;
        this.size = size;
        this.syncChannels = new FileChannel[GroupCommit.SYNC_SLOTS];
    }

    /** Whether records go to this segment with direct I/O. */
    boolean writesDirectly() {
        return writeChannel != null;
    }

    /** The channel records are written through: whole blocks at block offsets (see {@link Journal#BLOCK}). */
    FileChannel writeChannel() {
        FileChannel direct = writeChannel;
        return direct == null ? channel : direct;
    }

    /**
     * Opens the file again after an interrupt closed its channels under a reader or a writer. A
     * write channel that cannot be opened for direct I/O again gives way to {@link #channel}.
     * Written through the page cache, the segment is then {@link #broken} (see {@link #sync}).
     *
     * @throws ClosedChannelException after {@link #close}
     */
    synchronized FileChannel reopen() throws IOException {
        if (closed) {
            throw new ClosedChannelException();
        }
        if (!channel.isOpen()) {
            channel = files.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            brokenUnlessDirect();
        }
        FileChannel direct = writeChannel;
        if (direct != null && !direct.isOpen()) {
            writeChannel = directIo.open(file);
            brokenUnlessDirect();
        }
        return channel;
    }

    private void brokenUnlessDirect() {
        if (!writesDirectly()) {
            broken = true;
        }
    }

    /**
     * Writes {@code blocks} (whole blocks, from its position to its limit, which stay as they are)
     * at offset {@code at} through {@link #writeChannel}, surviving interrupts.
     *
     * @return whether the calling thread was interrupted meanwhile; its interrupt status is clear
     */
    boolean write(ByteBuffer blocks, long at) throws IOException {
        return InterruptedIo.repeatAfterInterrupts(() -> writeFully(writeChannel(), blocks.duplicate(), at), this::reopen);
    }

    /**
     * Syncs the data written so far through the channel of sync slot {@code slot} (see
     * {@link #syncChannel}), surviving interrupts where the segment is written directly. There a
     * sync only flushes the disk's cache, and a flush that failed fails again.
     *
     * <p>Through the page cache, Linux reports a failed write-back once, to one open file, and a
     * file opened later never hears of it. So a sync there vouches for a batch only while the
     * segment is whole: its channels open since before any record went in (the sync slots' are
     * opened with the segment), no write or sync of it failed (the error may concern this
     * batch's pages), none opened again. Otherwise, checked after the sync, it fails, and the
     * next batch goes to a new segment.
     *
     * @return whether the calling thread was interrupted meanwhile; its interrupt status is clear
     */
    boolean sync(int slot) throws IOException {
        if (!writesDirectly()) {
            syncChannel(slot).force(false);
            if (broken) {
                throw new IOException("a write or sync of " + file + " failed, or an interrupt closed its channel,"
                        + " so a sync through the page cache cannot vouch for the batch");
            }
            return false;
        }
        return InterruptedIo.repeatAfterInterrupts(() -> syncChannel(slot).force(false), this::reopen);
    }

    /** The channel that sync slot {@code slot} syncs through; called only by whoever holds that slot. */
    FileChannel syncChannel(int slot) throws IOException {
        if (slot == 0) {
            return channel;
        }
        FileChannel sync = syncChannels[slot];
        if (sync == null || !sync.isOpen()) {
            synchronized (this) {
                if (closed) {
                    throw new ClosedChannelException();
                }
                if (sync != null) {
                    brokenUnlessDirect(); // an interrupt closed it (see sync)
                }
                sync = files.open(file, StandardOpenOption.WRITE);
                syncChannels[slot] = sync;
            }
        }
        return sync;
    }

    void close() throws IOException {
        synchronized (this) {
            closed = true;
        }
        try {
            channel.close();
            FileChannel direct = writeChannel;
            if (direct != null) {
                direct.close();
            }
        } finally {
            for (FileChannel sync : syncChannels) {
                if (sync != null) {
                    sync.close();
                }
            }
        }
    }

    /**
     * Makes {@code spare} a file of {@code bytes} zeros whose blocks are allocated and on disk, so
     * that writing into it later changes no metadata. Replaces an older spare of that name.
     */
    static void prepare(JournalFiles files, Path spare, long bytes, DirectIo directIo) throws IOException {
        long blocks = bytes / BatchWriter.BLOCK * BatchWriter.BLOCK;
        try (FileChannel channel = files.open(spare, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            long zeroed = 0;
            FileChannel direct = directIo.open(spare);
            if (direct != null) {
                try (direct) {
                    fillWithZeros(direct, 0, blocks);
                    zeroed = blocks;
                } catch (ClosedChannelException e) {
                    throw e; // an interrupt, not a sign that direct I/O does not work here
                } catch (IOException e) {
                    fillWithZeros(channel, 0, blocks); // throws too if the disk, not direct I/O, is the trouble
                    zeroed = blocks;
                    directIo.failed(spare, e);
                }
            }
            fillWithZeros(channel, zeroed, bytes);
            channel.force(true);
        }
    }

    private static void fillWithZeros(FileChannel channel, long from, long to) throws IOException {
        for (long at = from; at < to; ) {
            ByteBuffer zeros = ZEROS.duplicate();
            zeros.limit((int) Math.min(zeros.capacity(), to - at));
            at += writeFully(channel, zeros, at);
        }
    }

    /**
     * Turns the prepared file {@code spare} into segment {@code id} at {@code file}: writes and
     * syncs its header, then renames it. The caller syncs the directory before any record in it
     * is acknowledged.
     */
    static Segment fromSpare(JournalFiles files, Path spare, Path file, long id, DirectIo directIo) throws IOException {
        FileChannel direct = directIo.open(spare);
        try (FileChannel channel = files.open(spare, StandardOpenOption.WRITE)) {
            if (direct != null) {
                // The header goes in its block as records will go: a file system that opens files
                // for direct I/O but will not write them so is found out here, not in a batch.
                ByteBuffer block = DirectIo.alignedBuffer(BatchWriter.BLOCK).put(header(id)).clear();
                try {
                    writeFully(direct, block, 0);
                } catch (ClosedChannelException e) {
                    throw e; // an interrupt, not a sign that direct I/O does not work here
                } catch (IOException e) {
                    writeFully(channel, header(id), 0); // throws too if the disk, not direct I/O, is the trouble
                    direct.close();
                    direct = null;
                    directIo.failed(spare, e);
                }
            } else {
                writeFully(channel, header(id), 0);
            }
            channel.force(false);
        } catch (IOException | RuntimeException e) {
            if (direct != null) {
                direct.close();
            }
            throw e;
        }
        files.move(spare, file);
        FileChannel channel = files.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        Segment segment = new Segment(files, file, id, channel, direct, directIo, RecordFormat.SEGMENT_HEADER);
        for (int slot = 1; slot < GroupCommit.SYNC_SLOTS; slot++) {
            segment.syncChannel(slot); // before any record goes in: see sync
        }
        return segment;
    }

    /** The segment, or null if its header is missing or wrong. */
    static Segment openForRead(JournalFiles files, Path file, long id) throws IOException {
        FileChannel channel = files.open(file, StandardOpenOption.READ);
        ByteBuffer header = ByteBuffer.allocate(RecordFormat.SEGMENT_HEADER);
        if (channel.size() < RecordFormat.SEGMENT_HEADER) {
            channel.close();
            return null;
        }
        RecordFormat.readFully(channel, header, 0);
        header.flip();
        if (header.getLong() != RecordFormat.SEGMENT_MAGIC || header.getLong() != id) {
            channel.close();
            return null;
        }
        return new Segment(files, file, id, channel, null, null, channel.size());
    }

    static ByteBuffer header(long id) {
        return RecordFormat.segmentHeader(id);
    }

    static long writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long written = 0;
        while (buffer.hasRemaining()) {
            written += channel.write(buffer, position + written);
        }
        return written;
    }
}
