package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.SETTINGS;
import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that Outbox's own transaction runs over the right socket: the TLS one after STARTTLS
 * (two messages on one connection, pipelined), the new plain one after an opportunistic
 * fallback; and that a server answering one command twice never has a stale reply taken for
 * a refusal or a delivery.
 */
class PipeliningTlsTest {

    private static final byte[] CONTENT = LoopbackSmtp.content("Subject: tls\r\n\r\nsecret\r\n");

    @TempDir
    static Path keys;
    private static TestCertificate certificate;

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start().extensions("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");

    @BeforeAll
    static void makeTheCertificate() {
        certificate = TestCertificate.generate(keys, "localhost", "dns:localhost");
    }

    @Test
    void pipelinedTransactionsGoOverTheTlsSocket() throws Exception {
        server.starttls(certificate.serverContext());
        try (SmtpSession session = open(SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC))) {
            assertTrue(session.tlsDescription().startsWith("TLS"), session.tlsDescription());
            for (int i = 0; i < 2; i++) {
                List<RecipientOutcome> outcomes = session.send(Envelope.of("app@example.org", "a@example.org", "b@example.org"), CONTENT, BUDGET);
                assertEquals(List.of(Status.DELIVERED, Status.DELIVERED), outcomes.stream().map(RecipientOutcome::status).toList(),
                        outcomes.toString());
            }
        }
        assertEquals(2, server.awaitReceived(2, Duration.ofSeconds(5)).size());
        assertEquals(1, server.connectionsAccepted());
        List<String> transcript = server.transcript();
        int tls = indexOf(transcript, "<TLS ");
        int mail = indexOf(transcript, "MAIL FROM");
        assertTrue(tls >= 0 && mail > tls, "MAIL only after TLS: " + transcript);
    }

    @Test
    void afterAFailedHandshakeTheSecondPlainConnectionCarriesTheTransaction() throws Exception {
        server.starttls(TestCertificate.brokenServerContext());
        try (SmtpSession session = open(SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC))) {
            assertEquals("no TLS", session.tlsDescription());
            List<RecipientOutcome> outcomes = session.send(Envelope.of("app@example.org", "a@example.org"), CONTENT, BUDGET);
            assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        }
        assertEquals(2, server.connectionsAccepted());
        assertEquals(1, server.awaitReceived(1, Duration.ofSeconds(5)).size());
    }

    @Test
    void afterARefusedStartTlsTheSecondPlainConnectionCarriesTheTransaction() throws Exception {
        server.starttls(certificate.serverContext());
        server.script(Rules.on(Command.STARTTLS).reply("454 4.7.0 TLS not available"));
        try (SmtpSession session = open(SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC))) {
            List<RecipientOutcome> outcomes = session.send(Envelope.of("app@example.org", "a@example.org"), CONTENT, BUDGET);
            assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        }
        assertEquals(2, server.connectionsAccepted());
    }

    /** Two replies to the end of the data (a server bug): the next message is deferred at worst, never failed or taken as delivered. */
    @Test
    void anExtraReplyIsNeverTakenForAnotherCommandsOutcome() throws Exception {
        server.script(Rules.on(Command.END_OF_DATA).times(1).reply("250 2.0.0 Ok: queued as A1\n550 5.0.0 stray"));
        try (SmtpSession session = open(SETTINGS.withTls(TlsPolicy.NONE))) {
            List<RecipientOutcome> first = session.send(Envelope.of("app@example.org", "a@example.org"), CONTENT, BUDGET);
            assertEquals(Status.DELIVERED, first.get(0).status(), first.toString());
            if (!session.isBroken()) {
                List<RecipientOutcome> second = session.send(Envelope.of("app@example.org", "b@example.org"), CONTENT, BUDGET);
                assertNotEquals(Status.FAILED, second.get(0).status(), "a stale 550 bounced the next message: " + second);
                assertEquals(Status.DEFERRED, second.get(0).status(), second.toString());
                assertTrue(session.isBroken(), "replies out of step: the connection carries nothing more");
            }
        }
        assertEquals(1, server.count(Command.MAIL), "nothing was sent out of step: " + server.transcript());
    }

    private SmtpSession open(SmtpSettings settings) throws Exception {
        return SmtpSession.open(new NextHop("127.0.0.1", server.port()), Peer.MX_HOST, settings, TIMEOUTS, BUDGET);
    }

    private static int indexOf(List<String> transcript, String part) {
        for (int i = 0; i < transcript.size(); i++) {
            if (transcript.get(i).contains(part)) {
                return i;
            }
        }
        return -1;
    }
}
