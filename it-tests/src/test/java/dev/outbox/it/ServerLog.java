package dev.outbox.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The {@code server.log} of a test server, read as an operator would: the lines that mention
 * something. WildFly flushes each record as it is logged, so what a server logged before a
 * kill -9 is there after it, and a restarted server appends to the same file. Read as
 * ISO-8859-1, so that no byte can fail the read.
 */
final class ServerLog {

    private final Path file;

    private ServerLog(Path file) {
        this.file = file;
    }

    /** The log of the server that runs from {@code jbossHome} with its default base directory. */
    static ServerLog of(Path jbossHome) {
        return new ServerLog(jbossHome.resolve("standalone/log/server.log"));
    }

    /** The lines that contain {@code text}, in order; none when there is no log yet. */
    List<String> linesWith(String text) {
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            return Files.readAllLines(file, StandardCharsets.ISO_8859_1).stream().filter(line -> line.contains(text)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }
}
