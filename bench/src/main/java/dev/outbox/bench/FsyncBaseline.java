package dev.outbox.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk's own limits, each one thread writing and syncing ({@code FileChannel.force(false)},
 * that is fdatasync) after every write. Every store figure is compared with these.
 *
 * <ul>
 *   <li>{@link #appends}: a block appended to a file, then a sync. The reference of the store
 *       issue: the disk's single-writer fsync rate as an application writing a log sees it.
 *       Each sync also carries the file's new size, which costs the file system a commit.</li>
 *   <li>{@link #overwrites}: blocks written into a file whose space is allocated and zeroed
 *       beforehand, as the journal writes into its preallocated segments, then a sync. A sync
 *       then flushes data only. With one block per sync it is the best rate a single writer can
 *       get from the disk; with sixteen blocks per sync it is the most sixteen submitters can get
 *       from any group commit (every sync carrying all sixteen records, nothing else costing time).</li>
 * </ul>
 *
 * One writer per file only: the operations of two threads would write over each other.
 */
final class FsyncBaseline {

    /** The preallocated file the overwrites go round in: the size of a journal segment. */
    static final long PREALLOCATED_BYTES = 64L * 1024 * 1024;

    private FsyncBaseline() {
    }

    /** Appends {@code block} to {@code file} (created on first use, appended to by later slices) and syncs, each run. */
    static TimedRun.Operations appends(Path file, byte[] block) {
        return thread -> {
            oneWriter(thread);
            return new Appender(file, block);
        };
    }

    /**
     * Writes {@code blocksPerSync} copies of {@code block} in one write into the preallocated
     * {@code file} (prepared on first use, written round and round) and syncs, each run.
     */
    static TimedRun.Operations overwrites(Path file, byte[] block, int blocksPerSync) {
        return thread -> {
            oneWriter(thread);
            return new Overwriter(file, block, blocksPerSync);
        };
    }

    private static void oneWriter(int thread) {
        if (thread != 0) {
            throw new IllegalArgumentException("a raw fsync figure has one writer; thread " + thread + " asked to join");
        }
    }

    /** Appends and syncs one block per run. */
    private static final class Appender implements TimedRun.Operation {
        private final FileChannel channel;
        private final ByteBuffer block;
        private long size;

        Appender(Path file, byte[] block) throws IOException {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            this.block = ByteBuffer.wrap(block);
            this.size = channel.size();
        }

        @Override
        public void run() throws IOException {
            block.clear();
            while (block.hasRemaining()) {
                size += channel.write(block, size);
            }
            channel.force(false);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }

    /** Writes blocks into allocated space and syncs, once per run. */
    private static final class Overwriter implements TimedRun.Operation {
        private final FileChannel channel;
        private final ByteBuffer[] blocks;
        private final long bytesEach;
        private long position;

        Overwriter(Path file, byte[] block, int blocksPerSync) throws IOException {
            this.channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (channel.size() < PREALLOCATED_BYTES) {
                preallocate(channel);
            }
            this.blocks = new ByteBuffer[blocksPerSync];
            for (int i = 0; i < blocksPerSync; i++) {
                blocks[i] = ByteBuffer.wrap(block);
            }
            this.bytesEach = (long) block.length * blocksPerSync;
        }

        private static void preallocate(FileChannel channel) throws IOException {
            ByteBuffer zeros = ByteBuffer.allocate(1024 * 1024);
            for (long at = 0; at < PREALLOCATED_BYTES; at += zeros.capacity()) {
                zeros.clear();
                while (zeros.hasRemaining()) {
                    channel.write(zeros, at + zeros.position());
                }
            }
            channel.force(true);
        }

        @Override
        public void run() throws IOException {
            if (position + bytesEach > PREALLOCATED_BYTES) {
                position = 0;
            }
            for (ByteBuffer block : blocks) {
                block.clear();
            }
            channel.position(position);
            for (long written = 0; written < bytesEach; ) {
                written += channel.write(blocks);
            }
            position += bytesEach;
            channel.force(false);
        }

        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
