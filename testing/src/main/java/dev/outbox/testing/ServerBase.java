package dev.outbox.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A WildFly base directory of a test's or a benchmark's own ({@code jboss.server.base.dir}), so
 * that a server it starts never writes into the unpacked distribution or a server before it.
 *
 * <p>Stateless; misuse: a distribution without {@code standalone/configuration} throws
 * {@link IOException} naming it.
 */
public final class ServerBase {

    private ServerBase() {
    }

    /**
     * Makes {@code base} afresh: whatever was there deleted, then the configuration of the
     * distribution in {@code jbossHome} copied in (without its {@code standalone_xml_history})
     * and an empty {@code deployments} folder.
     */
    public static void fresh(Path jbossHome, Path base) throws IOException {
        deleteTree(base);
        Path from = jbossHome.resolve("standalone/configuration");
        Path to = base.resolve("configuration");
        Files.createDirectories(base);
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.filter(p -> !from.relativize(p).startsWith("standalone_xml_history")).toList()) {
                Files.copy(path, to.resolve(from.relativize(path).toString()));
            }
        }
        Files.createDirectories(base.resolve("deployments"));
    }

    /** Deletes {@code root} and everything under it; nothing when it does not exist. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
