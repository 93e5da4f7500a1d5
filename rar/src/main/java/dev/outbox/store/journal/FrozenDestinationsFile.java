package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.TreeSet;

/**
 * The destinations an operator froze, kept beside the journal in one small file
 * ({@code frozen-destinations}, a name a line): rarely written, read once at start, so it needs
 * no journal record. A write goes to a temporary file that is synced and then renamed over the
 * old one, and the directory synced, so a crash leaves the old set or the new one, never a mix.
 *
 * <p>Threading: {@link #write} is synchronized; {@link #read} is for start-up.
 */
final class FrozenDestinationsFile {

    private final Path file;
    private final Path temporary;

    FrozenDestinationsFile(Path directory) {
        this.file = directory.resolve("frozen-destinations");
        this.temporary = directory.resolve("frozen-destinations.tmp");
    }

    /** The saved set; empty when none was ever saved. */
    Set<String> read() {
        try {
            Set<String> destinations = new TreeSet<>();
            // Lenient: a damaged byte must not keep the whole queue from starting; a bad name is dropped where it is used.
            String text = new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
            for (String line : text.split("\n")) {
                if (!line.isBlank()) {
                    destinations.add(line.strip());
                }
            }
            return destinations;
        } catch (NoSuchFileException e) {
            return new TreeSet<>();
        } catch (IOException e) {
            throw new StoreException("cannot read the frozen destinations from " + file + ": " + e.getMessage(), e);
        }
    }

    /** Replaces the saved set with {@code destinations}; returns once it is on stable storage. */
    synchronized void write(Set<String> destinations) {
        StringBuilder text = new StringBuilder();
        for (String destination : new TreeSet<>(destinations)) {
            text.append(destination).append('\n');
        }
        try {
            try (FileChannel out = FileChannel.open(temporary, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer bytes = ByteBuffer.wrap(text.toString().getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    out.write(bytes);
                }
                out.force(true);
            }
            Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel directory = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                directory.force(true); // the rename itself must survive a crash
            }
        } catch (IOException e) {
            throw new StoreException("cannot save the frozen destinations to " + file + ": " + e.getMessage(), e);
        }
    }
}
