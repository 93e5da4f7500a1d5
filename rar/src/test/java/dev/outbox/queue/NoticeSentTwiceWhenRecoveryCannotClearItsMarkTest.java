package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a bounce found in the store at recovery must not be delivered while the mark it
 * pays is still on disk: when recovery cannot write the cleared mark, the notice went out all the
 * same, and a crash before the sweep wrote the mark again made the next start compose and send
 * the same bounce a second time.
 */
class NoticeSentTwiceWhenRecoveryCannotClearItsMarkTest {

    @TempDir
    Path directory;

    @Test
    void aRecoveredNoticeIsNotDeliveredWhileTheMarkItPaysIsStillOnDisk() {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        AtomicReference<UnaryOperator<CrashAtWriteStore>> plan = new AtomicReference<>(UnaryOperator.identity());
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(plan.get().apply(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("550 5.1.1 no such user"));
            engine.start();

            // Run 1: the bounce is stored with its mark on disk; the process dies before the finished original is removed.
            store.get().crashAfter(3); // the submit's add, the mark, the notice's add
            String id = engine.submit("doomed", "ann@a.example");
            engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.BOUNCED && engine.idle(), "bounced");
            assertEquals(0, senders.received().size());

            // Run 2: recovery finds the notice, but its write for the original (the mark cleared) fails, a passing disk fault.
            plan.set(s -> s.failWritesOf(id::equals));
            engine.restart();
            engine.awaitIdle(); // before the fix, the recovered notice was delivered here, its mark still on disk
            // ... and the process dies before a sweep writes the original again.
            store.get().crashAfter(0);

            // Run 3: a healthy store.
            plan.set(UnaryOperator.identity());
            engine.restart();
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            assertEquals(1, senders.received().size(), () -> "bounces sent for one failed recipient: " + senders.received());
        }
    
    }

    @Test
    void aRecoveredNoticeHeldForItsMarkGoesOutOnceTheSweepHasWrittenIt() {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        AtomicReference<UnaryOperator<CrashAtWriteStore>> plan = new AtomicReference<>(UnaryOperator.identity());
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(plan.get().apply(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("550 5.1.1 no such user"));
            engine.start();
            store.get().crashAfter(3);
            String id = engine.submit("doomed", "ann@a.example");
            engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.BOUNCED && engine.idle(), "bounced");

            plan.set(s -> s.failWritesOf(id::equals));
            MailQueue queue = engine.restart();
            engine.awaitIdle();
            store.get().failWritesOf(x -> false); // the disk is well again
            queue.sweep();
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            queue.sweep();
            engine.restart();
            engine.awaitIdle();
            assertEquals(1, senders.received().size(), () -> "bounces sent for one failed recipient: " + senders.received());
        }
    }
}
