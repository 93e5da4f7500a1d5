package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.logging.Logger;

/**
 * Opens journal files for direct I/O ({@code O_DIRECT}) where the JDK and the file system allow it.
 *
 * <p>Why: written through the page cache, every journal byte takes a page of memory that the
 * kernel must find, fill, write back at the sync and later reclaim; the sync then waits for that
 * write-back. Written directly, a batch goes from its staging buffer to the disk in one request,
 * no page cache grows behind the journal, and the sync only has to flush the disk's cache. The
 * same holds for the zeros a spare segment is prepared with. Measured in {@code bench/}.
 *
 * <p>Direct writes must cover whole blocks at block offsets from a block-aligned buffer, which is
 * how {@link Journal} writes in any case. Not every file system offers direct I/O (tmpfs before
 * Linux 6.6, some network file systems), and the option lives in the JDK's
 * {@code jdk.unsupported} module; without either, the journal writes the same blocks through the
 * page cache, as correct, only slower. An operator can choose that way on purpose, for storage
 * that handles direct I/O badly, with the system property {@value #PROPERTY}{@code =false}
 * (read when the journal opens). Which way a journal writes is decided and logged once, when it
 * opens, and changes only if direct I/O then fails.
 */
final class DirectIo {

    /** The system property that turns direct I/O off when set to {@code false}. */
    static final String PROPERTY = "dev.outbox.journal.directIo";

    private static final Logger LOG = Logger.getLogger(DirectIo.class.getName());
    private static final OpenOption DIRECT = directOption();

    private final Path directory;
    private final JournalFiles files;
    /** Cleared for good when direct I/O turns out not to work in this directory. */
    private volatile boolean inUse;

    private DirectIo(Path directory, JournalFiles files, boolean inUse) {
        this.directory = directory;
        this.files = files;
        this.inUse = inUse;
    }

    private static OpenOption directOption() {
        try {
            return com.sun.nio.file.ExtendedOpenOption.DIRECT;
        } catch (LinkageError e) { // jdk.unsupported not visible to this class loader
            return null;
        }
    }

    /**
     * Decides, once for the journal in {@code directory} (which must exist), whether its files
     * are written directly, and logs which way.
     */
    static DirectIo forDirectory(Path directory, JournalFiles files) {
        String without = null;
        if (DIRECT == null) {
            without = "the JDK module jdk.unsupported is not visible";
        } else if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            without = "turned off by -D" + PROPERTY + "=false";
        } else {
            try {
                long blockSize = Files.getFileStore(directory).getBlockSize();
                if (blockSize <= 0 || BatchWriter.BLOCK % blockSize != 0) {
                    without = "its block size " + blockSize + " does not divide " + BatchWriter.BLOCK;
                }
            } catch (IOException | UnsupportedOperationException e) {
                without = e.toString();
            }
        }
        String why = without;
        LOG.info(() -> "Outbox journal: writing " + directory
                + (why == null ? " with direct I/O" : " through the page cache, not with direct I/O: " + why));
        return new DirectIo(directory, files, why == null);
    }

    /**
     * A channel that writes {@code file} directly, or null when direct I/O is not in use here;
     * then the caller writes through the page cache.
     */
    FileChannel open(Path file) {
        if (!inUse) {
            return null;
        }
        try {
            return files.open(file, StandardOpenOption.WRITE, DIRECT);
        } catch (IOException | UnsupportedOperationException e) {
            inUse = false;
            LOG.warning(() -> "Outbox journal: cannot open " + file + " for direct I/O (" + e + "); writing " + directory
                    + " through the page cache from now on");
            return null;
        }
    }

    /**
     * Gives direct I/O up for good: a direct write to {@code file} failed with {@code e} where the
     * same write through the page cache succeeded, so this storage opens files for direct I/O
     * but does not write them so.
     */
    void failed(Path file, IOException e) {
        inUse = false;
        LOG.warning(() -> "Outbox journal: a direct write to " + file + " failed (" + e
                + ") where the same write through the page cache did not; writing " + directory + " through the page cache from now on");
    }

    /** A direct buffer of {@code bytes} whose address is block-aligned, as direct I/O needs. */
    static ByteBuffer alignedBuffer(int bytes) {
        return ByteBuffer.allocateDirect(bytes + BatchWriter.BLOCK).alignedSlice(BatchWriter.BLOCK).limit(bytes).slice();
    }
}
