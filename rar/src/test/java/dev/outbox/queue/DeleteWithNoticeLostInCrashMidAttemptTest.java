package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that an operator's delete with a notice of a recipient in flight survives a crash with
 * its notice: the recipient is stored DELETED at once (so it is not sent after the restart, as an
 * attempt cut off by a crash counts as undelivered), and so it is owed its bounce. Before, the
 * stored DELETED had no notice mark: the recipient was deleted after the restart and its sender
 * never told.
 */
class DeleteWithNoticeLostInCrashMidAttemptTest {

    @TempDir
    Path directory;

    @Test
    void aRecipientDeletedWithANoticeWhileInFlightGetsItsNoticeAfterACrash() {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.END_OF_DATA).onConnection(1).delayThenReply(Duration.ofSeconds(4), "451 4.3.0 later"));
            MailQueue queue = engine.start();
            String id = engine.submit("held up", "ann@a.example");
            engine.await(() -> recipients.count(Command.END_OF_DATA) == 1, "its data sent");

            assertEquals(1, queue.deleteMessage(id, true), "the operator deletes it, with a notice to its sender");
            store.get().crashAfter(0); // kill -9: nothing the old engine does from now on reaches the disk

            engine.restart();
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            assertEquals(0, recipients.received().stream().filter(Received -> Received.acknowledged()).count(), "never delivered");
            assertEquals(RecipientState.DELETED, engine.lastState(id, "ann@a.example"));
            assertEquals(1, senders.received().size(), () -> "notices to the sender of a message deleted with a notice: "
                    + senders.received());
        }
    }

    @ParameterizedTest(name = "the attempt ends with {0}")
    @ValueSource(strings = {"250 2.0.0 ok", "550 5.7.1 refused", "451 4.3.0 later"})
    void aRecipientDeletedWithANoticeWhileInFlightIsReportedOnlyIfTheAttemptDidNotDeliverIt(String reply) {
        try (EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))
                .notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.END_OF_DATA).onConnection(1).delayThenReply(Duration.ofSeconds(1), reply));
            MailQueue queue = engine.start();
            String id = engine.submit("held up", "ann@a.example");
            engine.await(() -> recipients.count(Command.END_OF_DATA) == 1, "its data sent");
            assertEquals(1, queue.deleteMessage(id, true));
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            int expected = reply.startsWith("250") ? 0 : 1;
            assertEquals(expected, senders.received().size(), () -> "notices: " + senders.received());
            engine.restart();
            engine.awaitIdle();
            assertEquals(expected, senders.received().size(), () -> "notices after a restart: " + senders.received());
        }
    }

    @Test
    void aRecipientOfANullSenderDeletedWithANoticeWhileInFlightLeavesNothingBehindAfterACrash() throws Exception {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            recipients.script(Rules.on(Command.END_OF_DATA).onConnection(1).delayThenReply(Duration.ofSeconds(4), "451 4.3.0 later"));
            MailQueue queue = engine.start();
            String content = "From: MAILER-DAEMON@example.com\r\nTo: ann@a.example\r\nSubject: a bounce\r\n\r\nbody\r\n";
            String id = queue.submit(Submission.of(new java.io.ByteArrayInputStream(content.getBytes(java.nio.charset.StandardCharsets.US_ASCII)),
                    dev.outbox.api.Envelope.of("", java.util.List.of("ann@a.example")), new SubmitLimits(1 << 20, 10), "outbox.test"));
            engine.await(() -> recipients.count(Command.END_OF_DATA) == 1, "its data sent");
            assertEquals(1, queue.deleteMessage(id, true));
            store.get().crashAfter(0);

            MailQueue restarted = engine.restart();
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), () -> "the store empties; live "
                    + restarted.ledger.liveMessages().size());
            assertEquals(0, restarted.ledger.liveMessages().size());
        }
    }
}
