package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the bounce a sender gets when a next hop refuses recipients for good (5xx at RCPT or
 * after the data), parsed back as RFC 3464: one notice for the recipients that failed in one
 * attempt and for no other, with the next hop's reply as Status and Diagnostic-Code and the host
 * as Remote-MTA, sent with MAIL FROM:&lt;&gt; to the sender, and the original gone from the store.
 */
class BounceNoticeTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture().notices(Duration.ZERO);
    private final ScriptedSmtpServer recipients = engine.server();
    private final ScriptedSmtpServer sender = engine.server("example.com");

    @Test
    void aRecipientRefusedAtRcptGetsTheSenderOneBounceWithTheReply() {
        String reply = "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown";
        recipients.script(Rules.on(Command.RCPT).reply(reply));
        MailQueue queue = engine.start();
        Submission mail = EngineFixture.mail("refused", "bob@example.org");
        engine.submit(mail);

        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        assertEquals(1, queue.bounceNoticeCount());
        assertEquals(0, queue.delayNoticeCount());
        assertEquals(List.of("bob@example.org"), dsn.finalRecipients());
        dsn.assertFailed("bob@example.org", "5.1.1", recipients.host(), "smtp; " + reply, EngineFixture.START);
        assertEquals(EngineFixture.START, ParsedDsn.date(dsn.messageField("Arrival-Date")));
        dsn.assertReturns(mail);
        assertTrue(dsn.text().contains(reply), dsn.text());
        assertEquals(List.of(), recipients.received());
        engine.await(() -> engine.store().messageCount() == 0, "the original and its notice gone from the store");
    }

    @Test
    void aMessageRefusedAfterItsDataGetsOneBounceForAllItsRecipients() {
        String reply = "554 5.6.0 Message content rejected";
        recipients.script(Rules.on(Command.END_OF_DATA).reply(reply));
        MailQueue queue = engine.start();
        Submission mail = EngineFixture.mail("rejected", "ann@example.org", "bob@example.org");
        engine.submit(mail);

        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        assertEquals(1, queue.bounceNoticeCount(), "recipients failing in one attempt share one notice");
        assertEquals(List.of("ann@example.org", "bob@example.org"), dsn.finalRecipients());
        for (String recipient : List.of("ann@example.org", "bob@example.org")) {
            dsn.assertFailed(recipient, "5.6.0", recipients.host(), "smtp; " + reply, EngineFixture.START);
        }
        dsn.assertReturns(mail);
        engine.await(() -> engine.store().messageCount() == 0, "the original and its notice gone from the store");
    }

    @Test
    void oneRecipientRefusedOfThreeIsTheOnlyOneTheBounceNames() {
        String reply = "550 5.1.1 <bob@example.org>: no such user";
        recipients.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("bob")).reply(reply));
        MailQueue queue = engine.start();
        Submission mail = EngineFixture.mail("one of three", "ann@example.org", "bob@example.org", "carol@example.org");
        engine.submit(mail);

        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        assertEquals(1, queue.bounceNoticeCount());
        assertEquals(3, queue.deliveredCount(), "ann, carol, and the notice to the sender");
        assertEquals(1, dsn.recipientCount());
        dsn.assertFailed("bob@example.org", "5.1.1", recipients.host(), "smtp; " + reply, EngineFixture.START);
        assertFalse(dsn.text().contains("ann@") || dsn.text().contains("carol@"), dsn.text());
        dsn.assertReturns(mail);
        List<Received> delivered = recipients.received();
        assertEquals(1, delivered.size());
        assertEquals(List.of("ann@example.org", "carol@example.org"), delivered.get(0).recipients());
        engine.await(() -> engine.store().messageCount() == 0, "the original and its notice gone from the store");
    }
}
