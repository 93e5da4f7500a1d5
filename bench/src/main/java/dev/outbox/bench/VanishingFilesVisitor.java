package dev.outbox.bench;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;

/**
 * A walk of a tree that other processes change meanwhile (Postfix's queue, a scratch directory
 * being torn down): a file gone between its listing and its visit is passed over; any other
 * failure is thrown.
 */
abstract class VanishingFilesVisitor extends SimpleFileVisitor<Path> {

    @Override
    public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
            return FileVisitResult.CONTINUE;
        }
        throw e;
    }
}
