package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves what an operator's delete tells the sender: with a notice, a bounce saying the recipient
 * was deleted by an operator (5.0.0, no Remote-MTA); without, nothing at all; and a queue deleted
 * with notices gives each message's sender one bounce.
 */
class DeleteWithNoticeTest {

    private static final String GREYLISTED = "451 4.7.1 Greylisted, try again later";

    @AutoClose
    private final EngineFixture engine = new EngineFixture().notices(Duration.ZERO);
    private final ScriptedSmtpServer recipients = engine.server();
    private final ScriptedSmtpServer sender = engine.server("example.com");

    @Test
    void aDeferredMessageDeletedWithANoticeBouncesAndOneDeletedWithoutDoesNot() {
        recipients.script(Rules.on(Command.RCPT).reply(GREYLISTED));
        MailQueue queue = engine.start();
        String quiet = engine.submit("deleted quietly", "ann@example.org");
        Submission told = EngineFixture.mail("deleted with a notice", "bob@example.org");
        String loud = engine.submit(told);
        engine.await(() -> queue.deferredCount() == 2 && engine.idle(), "both deferred");

        assertEquals(1, queue.deleteMessage(quiet, false));
        assertEquals(0, queue.bounceNoticeCount(), "no notice queued for a delete without one");
        assertEquals(1, queue.deleteMessage(loud, true));

        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        assertEquals(1, queue.bounceNoticeCount());
        assertEquals(List.of("bob@example.org"), dsn.finalRecipients());
        dsn.assertFailed("bob@example.org", "5.0.0", null, "X-Outbox; deleted by an operator", EngineFixture.START);
        dsn.assertReturns(told);
        engine.await(() -> engine.store().messageCount() == 0, "both originals and the notice gone from the store");
    }

    @Test
    void aQueueDeletedWithNoticesBouncesEachMessageToItsSender() {
        recipients.script(Rules.on(Command.RCPT).reply(GREYLISTED));
        MailQueue queue = engine.start();
        engine.submit("first", "ann@example.org", "bob@example.org");
        engine.submit("second", "carol@example.org");
        engine.await(() -> queue.deferredCount() == 3 && engine.idle(), "all deferred");

        assertEquals(3, queue.deleteQueue(EngineFixture.destination(recipients), true));

        List<ParsedDsn> notices = ParsedDsn.awaitNotices(engine, sender, 2);
        assertEquals(2, queue.bounceNoticeCount(), "one a message");
        assertEquals(List.of(List.of("ann@example.org", "bob@example.org"), List.of("carol@example.org")),
                notices.stream().map(ParsedDsn::finalRecipients).sorted((a, b) -> a.get(0).compareTo(b.get(0))).toList());
        for (ParsedDsn dsn : notices) {
            for (String recipient : dsn.finalRecipients()) {
                dsn.assertFailed(recipient, "5.0.0", null, "X-Outbox; deleted by an operator", EngineFixture.START);
            }
        }
    }
}
