package dev.outbox.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The alternative design: a spool directory with one file per message, as MTAs such as Postfix
 * keep their queues. Each message is a new file, written, synced ({@code force(true)}, fsync),
 * and then the directory is synced so that the new name is durable too.
 *
 * <p>{@link #operations} gives the operation for {@link TimedRun}: any number of threads spool
 * side by side into {@code spool}, each message under a name of its own; each thread keeps its
 * directory handle open for the slice (the cheapest way to sync the directory). The files stay
 * until the caller deletes the spool.
 */
final class SpoolBaseline {

    private SpoolBaseline() {
    }

    static TimedRun.Operations operations(Path spool, byte[] message) {
        AtomicLong names = new AtomicLong();
        return thread -> new Spooler(spool, names, message);
    }

    /** Spools one message per run. */
    private static final class Spooler implements TimedRun.Operation {
        private final Path spool;
        private final AtomicLong names;
        private final ByteBuffer message;
        private final FileChannel directory;

        Spooler(Path spool, AtomicLong names, byte[] message) throws IOException {
            this.spool = spool;
            this.names = names;
            this.message = ByteBuffer.wrap(message);
            this.directory = FileChannel.open(spool, StandardOpenOption.READ);
        }

        @Override
        public void run() throws IOException {
            Path file = spool.resolve(Long.toString(names.incrementAndGet()));
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                message.clear();
                long at = 0;
                while (message.hasRemaining()) {
                    at += channel.write(message, at);
                }
                channel.force(true);
            }
            directory.force(true);
        }

        @Override
        public void close() throws IOException {
            directory.close();
        }
    }
}
