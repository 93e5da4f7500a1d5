package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The file system with faults a test arms at the moment it chooses: the next syncs of journal
 * files fail, the next large write of records is short and then fails with a full disk, the
 * disk reports no free space. Each armed fault fires once per count and is counted when it
 * fires, so a test can check that its fault really happened. Everything else is {@link JournalFiles#NIO}.
 */
final class FaultyFiles implements JournalFiles {

    static final String DISK_FULL = "No space left on device";

    private final AtomicInteger syncsToFail = new AtomicInteger();
    private final AtomicInteger writesToFail = new AtomicInteger();
    private final AtomicInteger segmentDeletesToFail = new AtomicInteger();
    private final AtomicInteger transfersToFail = new AtomicInteger();
    private volatile int failWritesOfAtLeast;
    private volatile long usableSpace = -1;
    final AtomicInteger fired = new AtomicInteger();

    /** The next {@code n} syncs of segment data fail. */
    FaultyFiles failSyncs(int n) {
        syncsToFail.set(n);
        return this;
    }

    /** The next write of at least {@code bytes} to a segment writes half its blocks, then fails as on a full disk. */
    FaultyFiles failWriteOfAtLeast(int bytes) {
        failWritesOfAtLeast = bytes;
        writesToFail.set(1);
        return this;
    }

    /** The next {@code n} deletions of segment files fail, leaving the file where it is. */
    FaultyFiles failSegmentDeletes(int n) {
        segmentDeletesToFail.set(n);
        return this;
    }

    /** The next {@code n} copies between files (setting a record aside) copy half, then fail as on a full disk. */
    FaultyFiles failTransfers(int n) {
        transfersToFail.set(n);
        return this;
    }

    /** The disk reports {@code bytes} free from now on; -1 for what the real disk says. */
    FaultyFiles usableSpace(long bytes) {
        usableSpace = bytes;
        return this;
    }

    @Override
    public FileChannel open(Path file, OpenOption... options) throws IOException {
        FileChannel channel = NIO.open(file, options);
        // Segments and the spare, which becomes a segment keeping the channels it was opened with.
        return java.nio.file.Files.isDirectory(file) ? channel : new Channel(channel);
    }

    @Override
    public List<Path> list(Path directory) throws IOException {
        return NIO.list(directory);
    }

    @Override
    public boolean deleteIfExists(Path file) throws IOException {
        if (file.getFileName().toString().endsWith(SegmentSet.SUFFIX) && take(segmentDeletesToFail)) {
            fired.incrementAndGet();
            throw new IOException("Input/output error (injected: a failed deletion of " + file + ")");
        }
        return NIO.deleteIfExists(file);
    }

    @Override
    public void move(Path from, Path to) throws IOException {
        NIO.move(from, to);
    }

    @Override
    public void syncDirectory(Path directory) throws IOException {
        NIO.syncDirectory(directory);
    }

    @Override
    public long usableSpace(Path directory) throws IOException {
        long bytes = usableSpace;
        return bytes >= 0 ? bytes : NIO.usableSpace(directory);
    }

    private static boolean zeros(ByteBuffer buffer) {
        for (int i = buffer.position(); i < buffer.limit(); i++) {
            if (buffer.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static boolean take(AtomicInteger armed) {
        return armed.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    /** A segment file's channel with the armed faults. */
    private final class Channel extends FileChannel {
        private final FileChannel real;

        Channel(FileChannel real) {
            this.real = real;
        }

        @Override
        public void force(boolean metaData) throws IOException {
            if (take(syncsToFail)) {
                fired.incrementAndGet();
                throw new IOException("Input/output error (injected: a failed sync)");
            }
            real.force(metaData);
        }

        @Override
        public int write(ByteBuffer src, long position) throws IOException {
            int length = src.remaining();
            if (length >= failWritesOfAtLeast && !zeros(src) && take(writesToFail)) { // zeros: a spare being prepared
                fired.incrementAndGet();
                int half = length / 2 / BatchWriter.BLOCK * BatchWriter.BLOCK;
                ByteBuffer first = src.duplicate().limit(src.position() + half);
                while (first.hasRemaining()) {
                    real.write(first, position + first.position() - src.position());
                }
                throw new IOException(DISK_FULL + " (injected: " + half + " of " + length + " bytes written)");
            }
            return real.write(src, position);
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            return real.read(dst);
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            return real.read(dsts, offset, length);
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            return real.write(src);
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
            return real.write(srcs, offset, length);
        }

        @Override
        public long position() throws IOException {
            return real.position();
        }

        @Override
        public FileChannel position(long newPosition) throws IOException {
            real.position(newPosition);
            return this;
        }

        @Override
        public long size() throws IOException {
            return real.size();
        }

        @Override
        public FileChannel truncate(long size) throws IOException {
            real.truncate(size);
            return this;
        }

        @Override
        public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
            if (take(transfersToFail)) {
                fired.incrementAndGet();
                real.transferTo(position, count / 2, target);
                throw new IOException(DISK_FULL + " (injected: " + count / 2 + " of " + count + " bytes copied)");
            }
            return real.transferTo(position, count, target);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
            return real.transferFrom(src, position, count);
        }

        @Override
        public int read(ByteBuffer dst, long position) throws IOException {
            return real.read(dst, position);
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
            return real.map(mode, position, size);
        }

        @Override
        public FileLock lock(long position, long size, boolean shared) throws IOException {
            return real.lock(position, size, shared);
        }

        @Override
        public FileLock tryLock(long position, long size, boolean shared) throws IOException {
            return real.tryLock(position, size, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            real.close();
        }
    }
}
