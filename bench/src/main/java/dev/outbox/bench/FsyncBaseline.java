package dev.outbox.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The disk's own limit: one thread appending a block to one file and syncing it
 * ({@code FileChannel.force(false)}, that is fdatasync) after every write. Nothing durable can
 * be faster for a single writer, so every store figure is compared with this one.
 *
 * <p>{@link #operations} gives the operation for {@link TimedRun}: each run appends
 * {@code block} at the end of {@code file} (created on first use, appended to by every later
 * slice) and syncs. Like the journal, it appends, so each sync also carries the file's new size.
 * One writer only: the operations of two threads would write over each other.
 */
final class FsyncBaseline {

    private FsyncBaseline() {
    }

    static TimedRun.Operations operations(Path file, byte[] block) {
        return thread -> {
            if (thread != 0) {
                throw new IllegalArgumentException("the fsync baseline has one writer; thread " + thread + " asked to join");
            }
            return new Appender(file, block);
        };
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
}
