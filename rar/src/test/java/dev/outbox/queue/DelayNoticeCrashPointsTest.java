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

/**
 * Proves that a crash at each store write of a delay notice (the notice added, the message's
 * delay mark) sends exactly one delay notice, and that later sweeps and restarts send none again.
 */
class DelayNoticeCrashPointsTest {

    @TempDir
    Path directory;

    @ParameterizedTest(name = "crash after {0} writes of the sweep")
    @ValueSource(ints = {0, 1, Integer.MAX_VALUE}) // a crash after the notice is delivered and before its removal resends it, as any mail
    void aCrashAtAnyWriteOfTheDelayNoticeSendsExactlyOne(int writesBeforeCrash) {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ofHours(1))) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("451 4.3.0 later"));
            MailQueue queue = engine.start();
            String id = engine.submit("slow", "ann@a.example", "bob@a.example");
            engine.await(() -> engine.lastState(id, "bob@a.example") == RecipientState.DEFERRED && engine.idle(), "deferred");

            engine.clock.advance(Duration.ofMinutes(61));
            store.get().crashAfter(writesBeforeCrash);
            queue.sweep();
            engine.awaitIdle();
            List<String> written = store.get().writes();

            engine.restart();
            for (int i = 0; i < 3; i++) {
                engine.clock.advance(Duration.ofMinutes(30));
                engine.queue().sweep();
                engine.awaitIdle();
            }
            engine.restart();
            engine.queue().sweep();
            engine.awaitIdle();
            List<Received> notices = senders.received();
            assertEquals(1, notices.size(), () -> "delay notices after a crash following " + written + ": " + notices);
            assertEquals("Delayed Mail (still being retried)", notices.get(0).header("Subject").orElse("?"));
        }
    }
}
