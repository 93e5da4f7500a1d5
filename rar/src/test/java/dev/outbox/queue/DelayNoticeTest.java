package dev.outbox.queue;

import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves the delay notice: a message still undelivered {@code delay-notice-after} past its submit
 * gets one, from the sweep, saying delayed with the last 4xx, when it was tried and until when it
 * will be; never before its time, and never a second one, neither at later sweeps nor after a
 * restart over the journal.
 */
class DelayNoticeTest {

    private static final Duration DELAY_NOTICE_AFTER = Duration.ofHours(4);
    private static final String BUSY = "451 4.2.0 Mailbox temporarily unavailable";

    @TempDir
    private Path directory;

    @Test
    void oneDelayNoticeAMessageAtItsTimeAndNoSecondAfterMoreDeferralsOrARestart() {
        try (EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))
                .notices(DELAY_NOTICE_AFTER)) {
            ScriptedSmtpServer recipients = engine.server();
            ScriptedSmtpServer sender = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply(BUSY));
            MailQueue queue = engine.start();
            Submission mail = EngineFixture.mail("slow", "bob@example.org");
            engine.submit(mail);
            engine.await(() -> queue.deferredCount() == 1 && engine.idle(), "deferred");

            engine.clock.advance(DELAY_NOTICE_AFTER.minusMinutes(1));
            Instant lastAttempt = engine.clock.instant();
            retry(engine, queue, 2);
            queue.sweep();
            assertEquals(0, queue.delayNoticeCount(), "not before its time");

            engine.clock.advance(Duration.ofMinutes(1)); // exactly delay-notice-after since submit
            queue.sweep();
            ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
            assertEquals(1, queue.delayNoticeCount());
            assertEquals(0, queue.bounceNoticeCount());
            assertEquals(List.of("bob@example.org"), dsn.finalRecipients());
            dsn.assertDelayed("bob@example.org", "4.2.0", recipients.host(), "smtp; " + BUSY, lastAttempt,
                    EngineFixture.START.plus(Duration.ofDays(2)));
            dsn.assertReturns(mail);

            engine.clock.advance(Duration.ofHours(1));
            retry(engine, queue, 4); // the sweep that sent the notice tried it a third time
            queue.sweep();
            engine.awaitIdle();
            assertEquals(1, queue.delayNoticeCount(), "one a message");

            MailQueue restarted = engine.restart(); // recovered deferred, due in a minute
            engine.clock.advance(Duration.ofHours(1));
            retry(engine, restarted, 1);
            restarted.sweep();
            engine.awaitIdle();
            assertEquals(0, restarted.delayNoticeCount(), "its mark survived the restart");
            assertEquals(1, ParsedDsn.notices(sender).size());
            assertEquals(1, engine.store().messageCount(), "the message itself is still queued");
        }
    }

    /** Fires the recipients' queue's wake-up (its deferred recipient is due by now) and waits for its {@code deferrals}th deferral. */
    private static void retry(EngineFixture engine, MailQueue queue, long deferrals) {
        engine.fire();
        engine.await(() -> queue.deferredCount() == deferrals && engine.idle(), () -> "deferred " + deferrals + " times");
    }
}
