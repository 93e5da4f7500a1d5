package dev.outbox.queue;

import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves a frozen destination across a restart: one whose mail is all gone can still be unfrozen
 * (its queue and bean exist), and a damaged byte in the saved list does not keep the queue from
 * starting (a third review found both).
 */
class FrozenRestartTest {

    @TempDir
    Path directory;

    @Test
    void oneBadByteInFrozenDestinationsKeepsTheWholeQueueFromStarting() throws Exception {
        Files.createDirectories(directory);
        Files.write(directory.resolve("frozen-destinations"), new byte[] {'m', 'x', ':', '2', '5', '\n', (byte) 0xFF, '\n'});
        try (EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))) {
            ScriptedSmtpServer server = engine.server();
            assertDoesNotThrow(() -> { engine.start(); }, "an unreadable list of frozen destinations stops every destination's mail");
            engine.submit("unrelated", "ann@a.example");
            server.awaitReceived(1, EngineFixture.WAIT);
        }
    }

    @Test
    void aFrozenDestinationWithNoMailLeftCannotBeUnfrozenAfterARestart() {
        try (EngineFixture engine = new EngineFixture()) {
            ScriptedSmtpServer server = engine.server();
            server.script(Rules.on(Command.RCPT).onConnection(1).reply("451 4.3.0 later"));
            MailQueue queue = engine.start();
            engine.submit("first", "ann@a.example");
            engine.await(() -> queue.deferredCount() == 1 && engine.idle(), "deferred");
            String destination = EngineFixture.destination(server);
            queue.freezeQueue(destination);
            assertEquals(1, queue.deleteQueue(destination));

            MailQueue restarted = engine.restart();
            // The destination is still saved as frozen, but has no queue (and so no MBean): the operator cannot release it,
            // and the next mail to it is held silently.
            assertDoesNotThrow(() -> restarted.unfreezeQueue(destination), "unfreeze a destination saved as frozen");
        }
    }
}
