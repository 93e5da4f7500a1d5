package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves the bounce for a recipient that was only ever deferred until its message's time ran out:
 * Action failed, Status 5.4.7, and the last 4xx reply it had (not an earlier one) as Diagnostic-Code,
 * with the time of that attempt; whether it expires at its last deferral or later in the sweep.
 */
class ExpiryNoticeTest {

    private static final Duration MAX_AGE = Duration.ofMinutes(30);

    @AutoClose
    private final EngineFixture engine = new EngineFixture().notices(Duration.ZERO)
            .policy(new QueuePolicy(RetrySchedule.parse("10m").withJitter(bound -> 0), MAX_AGE, 1, 100,
                    QueuePolicy.DEFAULT_MAX_CONNECTIONS, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));
    private final ScriptedSmtpServer recipients = engine.server();
    private final ScriptedSmtpServer sender = engine.server("example.com");

    @Test
    void aRecipientDeferredUntilItsMessageExpiresBouncesWith547AndTheLastReply() {
        recipients.script(Rules.on(Command.RCPT).onConnection(1).reply("451 4.3.0 first: try later"));
        recipients.script(Rules.on(Command.RCPT).onConnection(2).reply("452 4.2.2 second: mailbox full"));
        String last = "450 4.2.1 third: mailbox busy";
        recipients.script(Rules.on(Command.RCPT).reply(last));
        MailQueue queue = engine.start();
        Submission mail = EngineFixture.mail("never taken", "bob@example.org");
        engine.submit(mail);

        // Deferred at 0, 10 and 20 minutes; the next try would be at 30, the message's expiry, so the third deferral expires it.
        engine.driveUntil(() -> queue.expiredCount() == 1, Duration.ofHours(1));

        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        assertEquals(3, recipients.count(Command.RCPT), "three attempts");
        assertEquals(1, queue.bounceNoticeCount());
        dsn.assertFailed("bob@example.org", "5.4.7", recipients.host(), "smtp; " + last, EngineFixture.START.plus(Duration.ofMinutes(20)));
        dsn.assertReturns(mail);
        Transition expiry = engine.transitions().stream().filter(t -> t.to() == RecipientState.EXPIRED).findFirst().orElseThrow();
        assertEquals(last, expiry.reply(), "listeners (the EXPIRED JMX notification) are told the reply the notice names");
        engine.await(() -> engine.store().messageCount() == 0, "the original and its notice gone from the store");
    }

    @Test
    void aDeferredRecipientTheSweepFindsPastItsExpiryBouncesWith547AndItsLastReply() {
        String reply = "451 4.7.1 Greylisted, try again later";
        recipients.script(Rules.on(Command.RCPT).reply(reply));
        MailQueue queue = engine.start();
        engine.submit("greylisted", "bob@example.org");
        engine.await(() -> queue.deferredCount() == 1 && engine.idle(), "deferred");

        engine.clock.advance(MAX_AGE.plusSeconds(1)); // its retry never fired: the sweep is the first to look at it again
        queue.sweep();

        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        assertEquals(1, queue.expiredCount());
        assertEquals(1, recipients.count(Command.RCPT), "not attempted again past its expiry");
        Instant attempted = EngineFixture.START;
        dsn.assertFailed("bob@example.org", "5.4.7", recipients.host(), "smtp; " + reply, attempted);
    }
}
