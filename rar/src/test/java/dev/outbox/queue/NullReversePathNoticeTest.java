package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that nothing is ever sent about mail with the null reverse path (RFC 3464 section 2):
 * a message submitted with MAIL FROM:&lt;&gt; that bounces gets no notice, and a notice that is
 * itself refused bounces quietly; each failure is counted as withheld, and nothing stays behind.
 */
class NullReversePathNoticeTest {

    private static final String NO_SUCH_USER = "550 5.1.1 no such user";

    @AutoClose
    private final EngineFixture engine = new EngineFixture().notices(Duration.ZERO);
    private final ScriptedSmtpServer recipients = engine.server();
    private final ScriptedSmtpServer sender = engine.server("example.com");

    @Test
    void aMessageWithTheNullReversePathThatBouncesGetsNoNotice() {
        recipients.script(Rules.on(Command.RCPT).reply(NO_SUCH_USER));
        MailQueue queue = engine.start();
        engine.submitFrom("", "no return", "bob@example.org");

        engine.await(() -> queue.bouncedCount() == 1 && engine.idle(), "bounced");
        assertEquals(1, queue.noticesWithheldCount());
        assertEquals(0, queue.bounceNoticeCount());
        assertEquals(0, engine.store().messageCount(), "no notice owed or queued keeps anything in the store");
        assertEquals(1, recipients.count(Command.MAIL), "one transaction: the message's own, refused at RCPT; no second one for a notice");
        assertEquals(List.of(), recipients.received());
        assertEquals(0, sender.connectionsAccepted());
    }

    @Test
    void aNoticeThatIsRefusedBouncesQuietly() {
        recipients.script(Rules.on(Command.RCPT).reply(NO_SUCH_USER));
        sender.script(Rules.on(Command.RCPT).reply("550 5.1.1 <" + EngineFixture.SENDER + ">: mailbox unavailable"));
        MailQueue queue = engine.start();
        engine.submit("refused twice", "bob@example.org");

        engine.await(() -> queue.noticesWithheldCount() == 1 && engine.idle(), "the notice refused in its turn");
        assertEquals(1, queue.bounceNoticeCount(), "the notice about the message, none about the notice");
        assertEquals(2, queue.bouncedCount(), "the original's recipient and the notice's");
        assertEquals(1, sender.count(Command.RCPT), "the notice was tried once, to the sender");
        assertTrue(sender.transcript().contains("1 C: MAIL FROM:<>"), () -> "the notice went with the null reverse path: " + sender.transcript());
        assertEquals(List.of(), sender.received());
        assertEquals(0, engine.store().messageCount(), "nothing left: the refused notice owes nobody anything");
    }
}
