package dev.outbox.queue;

import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a message whose content can no longer be read (a damaged disk) still ends: it is
 * deferred until it expires, and then its sender gets the bounce, without the original's header.
 * Before, the bounce could not be composed without the content, so the finished message owed it
 * for ever: never removed from the store or from memory, a warning at every sweep.
 */
class BounceStuckWhenOriginalUnreadableTest {

    @TempDir
    Path directory;

    @Test
    void aMessageWhoseContentCannotBeReadExpiresAndItsSenderIsTold() {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            MailQueue queue = engine.start();
            store.get().failReadsOf(id -> id.length() == 26); // the originals', not the notices'
            String id = engine.submit("damaged", "ann@a.example");
            engine.await(() -> queue.deferredCount() == 1 && engine.idle(), "deferred: its content cannot be read");

            engine.clock.advance(Duration.ofDays(2).plusMinutes(1));
            for (int i = 0; i < 3; i++) {
                queue.sweep();
                engine.awaitIdle();
                engine.clock.advance(Duration.ofMinutes(1));
            }
            assertEquals(1, queue.expiredCount());
            List<Received> notices = senders.received();
            assertEquals(1, notices.size(), () -> "bounces; the store holds " + engine.store().messageCount() + ", live "
                    + queue.ledger.liveMessages().size());
            assertTrue(notices.get(0).text().contains("Final-Recipient: rfc822; ann@a.example"), notices.get(0).text());
            assertEquals(0, engine.store().messageCount());
            assertEquals(0, queue.ledger.liveMessages().size());
            assertEquals(0, recipients.received().size());
        }
    }
}
