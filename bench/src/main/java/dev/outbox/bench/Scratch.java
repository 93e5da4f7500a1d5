package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * The scratch directory of one run, on the disk being measured: every file the harness writes
 * goes under it, and {@link #close} deletes it whole.
 *
 * <p>{@link #create} makes a fresh directory inside the given one (also deleted on exit if the
 * run is cut short); {@link #fresh} a new empty
 * subdirectory for one measurement; {@link #delete} removes a subdirectory once measured, so
 * the disk holds one measurement's files at a time. Not thread-safe: used by the main thread.
 * Misuse: a path outside the scratch directory given to {@link #delete} throws
 * {@link IllegalArgumentException}.
 */
final class Scratch implements AutoCloseable {

    private final Path root;
    private final Thread onExit;

    private Scratch(Path root) {
        this.root = root;
        this.onExit = new Thread(this::deleteOnExit, "bench-scratch-cleanup");
        Runtime.getRuntime().addShutdownHook(onExit);
    }

    /** A new scratch directory inside {@code parent}, deleted by {@link #close} or, if the run is interrupted (Ctrl-C), on exit. */
    static Scratch create(Path parent) throws IOException {
        Files.createDirectories(parent);
        return new Scratch(Files.createTempDirectory(parent.toAbsolutePath().normalize(), "outbox-bench-"));
    }

    Path root() {
        return root;
    }

    /** A new empty directory {@code name} under the scratch directory. */
    Path fresh(String name) throws IOException {
        Path directory = root.resolve(name);
        delete(directory);
        return Files.createDirectories(directory);
    }

    /** Bytes free for this process on the disk of the scratch directory. */
    long usableBytes() throws IOException {
        return store().getUsableSpace();
    }

    FileStore store() throws IOException {
        return Files.getFileStore(root);
    }

    /** Deletes {@code path} and everything under it; nothing happens if it is gone, or for what vanishes meanwhile. */
    void delete(Path path) throws IOException {
        if (!path.toAbsolutePath().normalize().startsWith(root)) {
            throw new IllegalArgumentException(path + " is outside the scratch directory " + root);
        }
        if (!Files.exists(path)) {
            return;
        }
        Files.walkFileTree(path, new VanishingFilesVisitor() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(directory);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** On exit the measuring threads may still be writing: try again a few times. */
    private void deleteOnExit() {
        for (int attempt = 1; ; attempt++) {
            try {
                delete(root);
                return;
            } catch (IOException | RuntimeException e) {
                if (attempt == 5) {
                    System.err.println("bench: could not delete " + root + " on exit: " + e);
                    return;
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    @Override
    public void close() throws IOException {
        delete(root);
        try {
            Runtime.getRuntime().removeShutdownHook(onExit);
        } catch (IllegalStateException e) {
            // already exiting: the hook runs and finds nothing left to delete
        }
    }
}
