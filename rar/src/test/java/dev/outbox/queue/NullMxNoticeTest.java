package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.dns.TestDns;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the bounce for a recipient whose domain publishes a null MX, routing by MX: Status
 * 5.1.10 and the engine's own reason as Diagnostic-Code, no Remote-MTA (no host replied), and the
 * notice itself routed by the MX of the sender's domain.
 */
class NullMxNoticeTest {

    @AutoClose
    private final TestDns dns = TestDns.start();
    @AutoClose
    private final ScriptedSmtpServer senderMx = ScriptedSmtpServer.start("127.0.0.2", 0);
    @AutoClose
    private final EngineFixture engine = new EngineFixture().routeByMx(dns, senderMx.port()).notices(Duration.ZERO);

    @Test
    void aNullMxDomainBouncesWith5110AndTheNoticeGoesToTheSendersMx() {
        dns.nullMx("nullmx.example");
        dns.mx("example.com", 10, "mx.example.com").a("mx.example.com", "127.0.0.2");
        MailQueue queue = engine.start();
        Submission mail = EngineFixture.mail("to nowhere", "dave@nullmx.example");
        String id = engine.submit(mail);

        ParsedDsn dsn = ParsedDsn.awaitNotices(engine, senderMx, 1).get(0);
        assertEquals(1, queue.bounceNoticeCount());
        Transition bounce = engine.transitions().stream()
                .filter(t -> t.messageId().equals(id) && t.to() == RecipientState.BOUNCED).findFirst().orElseThrow();
        assertTrue(bounce.reply().startsWith("556 5.1.10 nullmx.example accepts no mail"), bounce.reply());
        dsn.assertFailed("dave@nullmx.example", "5.1.10", null, "X-Outbox; " + bounce.reply(), EngineFixture.START);
        dsn.assertReturns(mail);
        assertEquals(1, queue.deliveredCount(), "the notice, through mx.example.com");
        engine.await(() -> engine.store().messageCount() == 0, "the original and its notice gone from the store");
    }
}
