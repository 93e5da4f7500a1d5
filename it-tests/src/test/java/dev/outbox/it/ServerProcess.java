package dev.outbox.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the crash tests do to the WildFly they start themselves: kill -9 it, and give it a store of its own. */
final class ServerProcess {

    private ServerProcess() {
    }

    /** The WildFly process that runs from {@code jbossHome}; found ahead, a kill at a chosen moment costs no search. */
    static ProcessHandle find(Path jbossHome) {
        String home = "-Djboss.home.dir=" + jbossHome;
        List<ProcessHandle> servers = ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(home)).orElse(false))
                .toList();
        assertEquals(1, servers.size(), "exactly one WildFly runs from " + jbossHome);
        return servers.get(0);
    }

    /** kill -9 of {@code server}; returns once it has exited. */
    static void kill(ProcessHandle server) {
        assertTrue(server.destroyForcibly(), "SIGKILL sent");
        server.onExit().join();
    }

    /** Deletes Outbox's store of the server at {@code jbossHome}, so a test starts from an empty queue. */
    static void deleteStore(Path jbossHome) throws IOException {
        Path root = jbossHome.resolve("standalone/data/outbox");
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
