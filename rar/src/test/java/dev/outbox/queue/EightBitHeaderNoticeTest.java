package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that the bounce about a message whose header carries raw 8-bit bytes (a UTF-8 Subject)
 * reaches a sender whose server does not offer 8BITMIME: the returned header goes
 * quoted-printable, so the notice is 7-bit, and decodes to the original's bytes. (Writing the
 * notice tests found it returned as 8bit: the engine would not send that to such a server (5.6.3),
 * and the notice, having the null reverse path, bounced quietly; the sender never learnt of the bounce.)
 */
class EightBitHeaderNoticeTest {

    private static final String NO_SUCH_USER = "550 5.1.1 no such user";

    @AutoClose
    private final EngineFixture engine = new EngineFixture().notices(Duration.ZERO);
    private final ScriptedSmtpServer recipients = engine.server();
    private final ScriptedSmtpServer sender = engine.server("example.com").extensions("SIZE 104857600", "ENHANCEDSTATUSCODES");

    @Test
    void aBounceAboutMailWithAnEightBitSubjectReachesASenderWithoutEightBitMime() throws Exception {
        recipients.script(Rules.on(Command.RCPT).reply(NO_SUCH_USER));
        MailQueue queue = engine.start();
        String content = "From: " + EngineFixture.SENDER + "\r\nTo: bob@example.org\r\nSubject: Grüße aus Köln\r\n\r\nbody\r\n";
        Submission mail = Submission.of(new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)),
                Envelope.of(EngineFixture.SENDER, List.of("bob@example.org")), new SubmitLimits(1 << 20, 10), "outbox.test");
        engine.submit(mail);

        engine.await(() -> queue.noticesWithheldCount() + sender.received().size() > 0 && engine.idle(), "the notice settled");
        assertEquals(0, queue.noticesWithheldCount(), () -> "the notice bounced quietly: " + engine.transitions());
        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, sender, 1).get(0);
        dsn.assertFailed("bob@example.org", "5.1.1", recipients.host(), "smtp; " + NO_SUCH_USER, EngineFixture.START);
        dsn.assertReturns(mail);
    }
}
