package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
 * <p>Each batch in flight syncs through a channel of its own ({@link #syncChannel}): Linux reports
 * a failed write-back once per open file, so two batches syncing through one channel could see
 * the error reported to the wrong one, and the other would be acknowledged without being on disk.
 */
final class Segment {

    /** Zeros to fill prepared files with; never written to, shared through duplicates. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(256 * 1024).asReadOnlyBuffer();

    final Path file;
    final long id;
    /** Writes and reads go through this channel; so do the syncs of slot 0. */
    volatile FileChannel channel;
    /** Channels of the sync slots above 0, opened when first used; each touched only by whoever holds its slot. */
    private final FileChannel[] syncChannels;
    /** Where the next record goes. */
    volatile long size;
    /** Bytes of this segment counted in the journal's total: what was written, not what was planned. */
    volatile long counted;
    /** Set when a sync failed: what the file holds is unknown, so no more records go here. */
    volatile boolean broken;
    /** Batches written into this segment and not yet synced: guarded by the journal's lock. */
    int syncing;

    private Segment(Path file, long id, FileChannel channel, long size) {
        this.file = file;
        this.id = id;
        this.channel = channel;
        this.size = size;
        this.syncChannels = new FileChannel[Journal.SYNC_SLOTS];
    }

    /** Opens the file again after its channel was closed under a reader, for example by an interrupt. */
    synchronized FileChannel reopen() throws IOException {
        if (!channel.isOpen()) {
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        return channel;
    }

    /** The channel that sync slot {@code slot} syncs through; called only by whoever holds that slot. */
    FileChannel syncChannel(int slot) throws IOException {
        if (slot == 0) {
            return channel;
        }
        FileChannel sync = syncChannels[slot];
        if (sync == null || !sync.isOpen()) {
            sync = FileChannel.open(file, StandardOpenOption.WRITE);
            syncChannels[slot] = sync;
        }
        return sync;
    }

    void close() throws IOException {
        try {
            channel.close();
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
    static void prepare(Path spare, long bytes) throws IOException {
        try (FileChannel channel = FileChannel.open(spare, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (long at = 0; at < bytes; ) {
                ByteBuffer zeros = ZEROS.duplicate();
                zeros.limit((int) Math.min(zeros.capacity(), bytes - at));
                at += channel.write(zeros, at);
            }
            channel.force(true);
        }
    }

    /**
     * Turns the prepared file {@code spare} into segment {@code id} at {@code file}: writes and
     * syncs its header, then renames it. The caller syncs the directory before any record in it
     * is acknowledged.
     */
    static Segment fromSpare(Path spare, Path file, long id) throws IOException {
        try (FileChannel channel = FileChannel.open(spare, StandardOpenOption.WRITE)) {
            writeFully(channel, header(id), 0);
            channel.force(false);
        }
        Files.move(spare, file, StandardCopyOption.ATOMIC_MOVE);
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new Segment(file, id, channel, Journal.SEGMENT_HEADER);
    }

    /** The segment, or null if its header is missing or wrong. */
    static Segment openForRead(Path file, long id) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
        ByteBuffer header = ByteBuffer.allocate(Journal.SEGMENT_HEADER);
        if (channel.size() < Journal.SEGMENT_HEADER) {
            channel.close();
            return null;
        }
        Journal.readFully(channel, header, 0);
        header.flip();
        if (header.getLong() != Journal.SEGMENT_MAGIC || header.getLong() != id) {
            channel.close();
            return null;
        }
        return new Segment(file, id, channel, channel.size());
    }

    private static ByteBuffer header(long id) {
        return ByteBuffer.allocate(Journal.SEGMENT_HEADER).putLong(Journal.SEGMENT_MAGIC).putLong(id).flip();
    }

    static long writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long written = 0;
        while (buffer.hasRemaining()) {
            written += channel.write(buffer, position + written);
        }
        return written;
    }
}
