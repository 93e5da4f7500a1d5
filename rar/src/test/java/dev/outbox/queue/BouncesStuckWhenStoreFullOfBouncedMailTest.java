package dev.outbox.queue;

import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a store filled by mail that then fails for good drains: an outage fills the store
 * to its limit (submits refused), the mail expires, and each sender gets its bounce. Before, the
 * bounces could never be added (the store was full), the finished originals could never leave
 * (they owed their bounce), and the store stayed full forever, refusing every submit.
 */
class BouncesStuckWhenStoreFullOfBouncedMailTest {

    @TempDir
    Path directory;

    @Test
    void aStoreFullOfExpiredMailSendsItsBouncesAndEmpties() throws Exception {
        try (EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 16 << 10, 48 << 10, 8 << 10))
                .notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("451 4.4.1 down for maintenance"));
            MailQueue queue = engine.start();

            // The outage fills the store: submits are refused at its limit.
            List<String> ids = new ArrayList<>();
            while (true) {
                try {
                    ids.add(queue.submit(EngineFixture.mail("m" + ids.size(), "ann@a.example")));
                } catch (QueueFullException full) {
                    break;
                }
                engine.await(() -> queue.deferredCount() == ids.size() && engine.idle(), "deferred");
            }
            assertTrue(ids.size() > 3, "a few messages fit: " + ids.size());

            // Two days later every one of them expires; each sender is owed a bounce.
            engine.clock.advance(Duration.ofDays(2).plusMinutes(1));
            queue.sweep();
            engine.await(() -> queue.expiredCount() == ids.size() && engine.idle(), "all expired");
            for (int i = 0; i < 5; i++) {
                engine.clock.advance(Duration.ofMinutes(1));
                queue.sweep();
                engine.awaitIdle();
            }
            assertEquals(ids.size(), senders.received().size(), () -> "bounces sent for " + ids.size() + " expired messages; "
                    + queue.bounceNoticeCount() + " queued; store holds " + engine.store().messageCount() + " messages, "
                    + queue.recipientsIn(RecipientState.EXPIRED) + " expired recipients live");
            engine.await(() -> engine.store().messageCount() == 0, "the store empties");
            engine.submit("after", "bob@b.example"); // and takes mail again
        }
    }
}
