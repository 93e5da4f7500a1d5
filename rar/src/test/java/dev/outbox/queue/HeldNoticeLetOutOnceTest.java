package dev.outbox.queue;

import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a bounce whose cleared mark the store would not take is held (not delivered while
 * its mark is on disk), then let out by the sweep exactly once, for a finished original (its
 * removal failed) and an unfinished one (its update failed); that a notice that itself fails
 * produces no notice; and that nothing of a finished message stays behind in the ledger (live
 * list, delay watch, owing, held).
 */
class HeldNoticeLetOutOnceTest {

    @TempDir
    Path directory;

    @Test
    void aBounceHeldForItsFailedMarkWriteGoesOutOnceAfterTheSweep() throws Exception {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ofHours(1))) {
            ScriptedSmtpServer a = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            a.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("ann@")).reply("550 5.1.1 no such user"));
            a.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("bob@")).reply("451 4.3.0 later"));
            MailQueue queue = engine.start();

            // The third write of each original fails: its add, the mark, then the write that clears it.
            AtomicInteger[] calls = {new AtomicInteger(), new AtomicInteger()};
            String[] ids = new String[2];
            store.get().failWritesOf(id -> {
                for (int k = 0; k < 2; k++) {
                    if (id.equals(ids[k])) {
                        return calls[k].incrementAndGet() == 3;
                    }
                }
                return false;
            });
            engine.hold();
            ids[0] = engine.submit("finished", "ann@a.example");
            ids[1] = engine.submit("unfinished", "ann@a.example", "bob@a.example");
            calls[0].incrementAndGet();
            calls[1].incrementAndGet();
            engine.release();
            engine.await(() -> store.get().refused().size() == 2 && engine.idle(), () -> "both clearing writes refused: " + store.get().refused());
            assertEquals(0, senders.received().size(), "a held notice is not delivered while its mark is on disk");
            assertEquals(2, queue.bounceNoticeCount());

            queue.sweep();
            senders.awaitReceived(2, EngineFixture.WAIT);
            engine.awaitIdle();
            queue.sweep();
            engine.restart();
            engine.awaitIdle();
            engine.queue().sweep();
            engine.awaitIdle();
            assertEquals(2, senders.received().size(), () -> "bounces: " + senders.received());
            assertEquals(1, engine.store().messageCount(), "bob's message waits for its retry");
        }
    }

    @Test
    void aNoticeThatFailsMakesNoNoticeAndNothingStaysBehind() throws Exception {
        try (EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))
                .notices(Duration.ofHours(1))) {
            ScriptedSmtpServer a = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            a.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("ann@")).reply("550 5.1.1 no such user"));
            senders.script(Rules.on(Command.RCPT).reply("550 5.1.1 no such sender"));
            MailQueue queue = engine.start();
            for (int i = 0; i < 20; i++) {
                engine.submit("m" + i, "ann@a.example", "cy@a.example");
            }
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            engine.clock.advance(Duration.ofHours(2));
            queue.sweep();
            engine.awaitIdle();
            assertEquals(20, queue.bounceNoticeCount());
            assertEquals(0, queue.delayNoticeCount());
            assertEquals(20, queue.noticesWithheldCount(), "each bounce that bounced is withheld");
            assertEquals(20, senders.count(Command.RCPT), "no notice about a notice");
            assertEquals(0, queue.ledger.liveMessages().size());
            RecipientLedger ledger = queue.ledger;
            assertTrue(((Collection<?>) field(ledger, "owing")).isEmpty(), "owing");
            assertTrue(((Map<?, ?>) field(ledger, "heldNotices")).isEmpty(), "held");
            assertTrue(((Collection<?>) field(ledger, "unrecorded")).isEmpty(), "unrecorded");
            assertTrue(((Collection<?>) field(ledger, "delayRefused")).isEmpty(), "delay notices refused");
            assertEquals(null, field(ledger, "delayCursor"), "the delay walk keeps no finished message");
        }
    }

    private static Object field(Object owner, String name) throws ReflectiveOperationException {
        Field field = owner.getClass().getDeclaredField(name);
        field.setAccessible(true);
        return field.get(owner);
    }
}
