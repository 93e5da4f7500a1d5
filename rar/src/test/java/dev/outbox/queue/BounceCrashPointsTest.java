package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a crash at each store write of a bounce (the mark written with the failure, the
 * notice added, the finished original removed) sends the sender exactly one notice after the
 * restart, over the journal.
 */
class BounceCrashPointsTest {

    @TempDir
    Path directory;

    @ParameterizedTest(name = "crash after {0} writes")
    @ValueSource(ints = {1, 2, 3})
    void aCrashAtAnyWriteOfTheBounceSendsExactlyOneNotice(int writesBeforeCrash) {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("550 5.1.1 no such user"));
            engine.start();
            store.get().crashAfter(writesBeforeCrash); // the submit's add is the first
            String id = engine.submit("doomed", "ann@a.example", "bob@a.example");
            engine.await(() -> engine.lastState(id, "bob@a.example") == RecipientState.BOUNCED && engine.idle(), "bounced");
            List<String> written = store.get().writes();
            assertTrue(store.get().crashed(), () -> "the crash came: " + written);
            assertEquals(List.of(), senders.received(), "nothing goes out before the restart");

            engine.restart();
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(),
                    () -> "the store empties after the crash; written before it " + written + ", refused " + store.get().refused());
            List<Received> notices = senders.received();
            assertEquals(1, notices.size(), () -> "notices after a crash following " + written + ": " + notices);
            assertEquals(List.of("app@example.com"), notices.get(0).recipients());
            assertEquals("<>", notices.get(0).mailFrom());
        }
    }
}
