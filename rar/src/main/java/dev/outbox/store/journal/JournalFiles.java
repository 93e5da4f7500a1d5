package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * How the journal reaches its files: every segment, spare and set-aside file is opened, listed,
 * moved and deleted here, and the directory synced, so that tests can put a file system with
 * faults in its place (a sync that fails, a write that is short or fails, a full disk) at the
 * moments they choose. {@link #NIO} is the file system itself; nothing else is used in production.
 *
 * <p>Each method does what the {@link Files} or {@link FileChannel} method of the same name does,
 * and throws what it throws; an implementation must be safe from any thread. The channels it
 * returns carry every read, write, sync, truncation and mapping of journal data.
 */
interface JournalFiles {

    /** Opens {@code file} as {@link FileChannel#open(Path, OpenOption...)} does. */
    FileChannel open(Path file, OpenOption... options) throws IOException;

    /** The entries of {@code directory}, in no particular order. */
    List<Path> list(Path directory) throws IOException;

    /** Deletes {@code file} if it exists; returns whether it did. */
    boolean deleteIfExists(Path file) throws IOException;

    /** Renames {@code from} to {@code to} atomically. */
    void move(Path from, Path to) throws IOException;

    /** Syncs {@code directory}, so that the files created, renamed and deleted in it stay so. */
    void syncDirectory(Path directory) throws IOException;

    /** Bytes free for this process on the file system of {@code directory}. */
    long usableSpace(Path directory) throws IOException;

    /** The file system itself. */
    JournalFiles NIO = new JournalFiles() {
        @Override
        public FileChannel open(Path file, OpenOption... options) throws IOException {
            return FileChannel.open(file, options);
        }

        @Override
        public List<Path> list(Path directory) throws IOException {
            try (Stream<Path> list = Files.list(directory)) {
                return list.toList();
            }
        }

        @Override
        public boolean deleteIfExists(Path file) throws IOException {
            return Files.deleteIfExists(file);
        }

        @Override
        public void move(Path from, Path to) throws IOException {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public void syncDirectory(Path directory) throws IOException {
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        }

        @Override
        public long usableSpace(Path directory) throws IOException {
            return Files.getFileStore(directory).getUsableSpace();
        }
    };
}
