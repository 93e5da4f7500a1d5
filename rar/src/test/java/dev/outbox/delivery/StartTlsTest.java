package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.testing.CapturedLogs;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import jakarta.mail.MessagingException;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.SETTINGS;
import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static dev.outbox.delivery.LoopbackSmtp.content;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves each TLS level against a real TLS server (the scripted one, with a certificate made at
 * test time for "localhost"): what goes over TLS, what falls back to plain text and how often,
 * what is refused and with which reason, and that the protocol and cipher negotiated are recorded.
 */
class StartTlsTest {

    private static final Envelope ENVELOPE = Envelope.of("app@example.org", "ann@example.org");

    @TempDir
    static Path keys;
    private static TestCertificate certificate;

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();
    @AutoClose
    private final CapturedLogs logs = CapturedLogs.capture("dev.outbox", "org.eclipse.angus.mail");

    @BeforeAll
    static void makeTheCertificate() {
        certificate = TestCertificate.generate(keys, "localhost", "dns:localhost");
    }

    @Test
    void opportunisticUsesTlsWhenOfferedAndRecordsProtocolAndCipher() throws Exception {
        server.starttls(certificate.serverContext());

        String description = deliver(mxHost(), SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC), Peer.MX_HOST);

        assertTrue(description.matches("TLSv1\\.[23] TLS_\\w+"), description);
        assertTrue(server.transcript().contains("1 S: <TLS " + description + ">"), "both ends agree: " + server.transcript());
        assertEquals(1, server.count(Command.STARTTLS));
        assertEquals(1, server.connectionsAccepted());
    }

    @Test
    void opportunisticFallsBackToPlainTextOnceAfterAFailedHandshake() throws Exception {
        server.starttls(TestCertificate.brokenServerContext());

        String description = deliver(mxHost(), SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC), Peer.MX_HOST);

        assertEquals("no TLS", description);
        assertEquals(2, server.connectionsAccepted(), "one retry in plain text: " + server.transcript());
        assertEquals(1, server.count(Command.STARTTLS), server.transcript().toString());
        assertTrue(logs.records().stream().anyMatch(r -> r.getLevel() == Level.WARNING
                        && r.getMessage().startsWith("Outbox: STARTTLS with " + mxHost() + " failed")
                        && r.getMessage().endsWith("connecting to " + mxHost() + " once more without TLS, as outbox.tls=opportunistic allows")),
                "the fallback is logged: " + logs.text());
    }

    @Test
    void opportunisticFallsBackToPlainTextWhenStartTlsIsRefused() throws Exception {
        server.starttls(certificate.serverContext());
        server.script(Rules.on(Command.STARTTLS).reply("454 4.7.0 TLS not available due to local problem"));

        String description = deliver(mxHost(), SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC), Peer.MX_HOST);

        assertEquals("no TLS", description);
        assertEquals(2, server.connectionsAccepted());
        assertTrue(logs.text().contains("STARTTLS with " + mxHost() + " failed: 454 4.7.0 TLS not available"), logs.text());
    }

    @Test
    void opportunisticToAServerWithoutStartTlsDeliversInPlainText() throws Exception {
        String description = deliver(mxHost(), SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC), Peer.SMARTHOST);

        assertEquals("no TLS", description);
        assertEquals(0, server.count(Command.STARTTLS));
        assertEquals(1, server.connectionsAccepted());
    }

    @ParameterizedTest
    @EnumSource(Peer.class)
    void noneNeverStartsTls(Peer peer) throws Exception {
        server.starttls(certificate.serverContext());

        String description = deliver(mxHost(), SETTINGS.withTls(TlsPolicy.NONE), peer);

        assertEquals("no TLS", description);
        assertEquals(0, server.count(Command.STARTTLS));
    }

    @Test
    void requiredToAnMxHostWithoutStartTlsFailsWithTheReason() {
        MessagingException refused = assertThrows(MessagingException.class,
                () -> SmtpSession.open(mxHost(), Peer.MX_HOST, SETTINGS.withTls(TlsPolicy.REQUIRED), TIMEOUTS, BUDGET));

        assertEquals("TLS is required (outbox.tls=required), but " + mxHost() + " does not offer STARTTLS", refused.getMessage());
        assertEquals(0, server.count(Command.MAIL), "nothing sent in plain text");
        assertEquals(1, server.connectionsAccepted(), "no retry in plain text");
    }

    @Test
    void requiredToAnMxHostEncryptsWithoutCheckingTheCertificate() throws Exception {
        server.starttls(certificate.serverContext()); // self-signed, and the address is no name in it

        String description = deliver(mxHost(), SETTINGS.withTls(TlsPolicy.REQUIRED), Peer.MX_HOST);

        assertTrue(description.startsWith("TLSv1."), description);
    }

    @Test
    void requiredToTheSmarthostRefusesACertificateTheJdkDoesNotTrust() {
        server.starttls(certificate.serverContext());

        MessagingException refused = assertThrows(MessagingException.class,
                () -> SmtpSession.open(smarthost(), Peer.SMARTHOST, SETTINGS.withTls(TlsPolicy.REQUIRED), TIMEOUTS, BUDGET));

        assertTrue(refused.getMessage().startsWith("STARTTLS with " + smarthost() + " failed: "), refused.getMessage());
        assertTrue(refused.getMessage().contains("unable to find valid certification path"), refused.getMessage());
        assertEquals(0, server.count(Command.MAIL));
        assertEquals(1, server.connectionsAccepted(), "no retry in plain text");
    }

    @ParameterizedTest
    @EnumSource(TrustStore.Type.class)
    void requiredToTheSmarthostTrustsTheConfiguredTrustStore(TrustStore.Type type) throws Exception {
        server.starttls(certificate.serverContext());
        Path file = type == TrustStore.Type.PEM ? certificate.writePem(keys.resolve("relay-" + System.nanoTime() + ".pem"))
                : certificate.writeJks(keys.resolve("relay-" + System.nanoTime() + ".jks"));
        SmtpSettings settings = SETTINGS.withTls(TlsPolicy.REQUIRED).withTrustStore(TrustStore.read(file, type));

        String description = deliver(smarthost(), settings, Peer.SMARTHOST);

        assertTrue(description.startsWith("TLSv1."), description);
    }

    @Test
    void requiredToTheSmarthostRefusesACertificateForAnotherName() {
        server.starttls(certificate.serverContext());
        SmtpSettings settings = SETTINGS.withTls(TlsPolicy.REQUIRED)
                .withTrustStore(TrustStore.read(certificate.writePem(keys.resolve("relay-name.pem")), TrustStore.Type.PEM));

        // The certificate is trusted, but it names "localhost", not the address connected to.
        MessagingException refused = assertThrows(MessagingException.class,
                () -> SmtpSession.open(mxHost(), Peer.SMARTHOST, settings, TIMEOUTS, BUDGET));

        assertTrue(refused.getMessage().startsWith("STARTTLS with " + mxHost() + " failed: "), refused.getMessage());
        assertTrue(refused.getMessage().contains("No subject alternative names matching IP address 127.0.0.1 found"), refused.getMessage());
        assertEquals(1, server.connectionsAccepted());
    }

    @Test
    void theDeadlineEndsAHandshakeThatHangsAndNoPlainRetryFollows() {
        // A 220 to STARTTLS from a server that then never answers: the client's handshake waits.
        server.script(Rules.on(Command.STARTTLS).reply("220 2.0.0 Ready to start TLS"));
        server.script(Rules.on(Command.OTHER).silence()); // the handshake's bytes, read as a line
        server.extensions("8BITMIME", "STARTTLS");

        assertThrows(MessagingException.class, () -> SmtpSession.open(mxHost(), Peer.MX_HOST, SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC),
                TIMEOUTS, Duration.ofMillis(500)));

        assertEquals(1, server.connectionsAccepted(), "past its deadline the attempt is over: " + server.transcript());
    }

    private NextHop mxHost() {
        return new NextHop("127.0.0.1", server.port());
    }

    private NextHop smarthost() {
        return new NextHop("localhost", server.port());
    }

    /** Delivers one message to {@code nextHop} and returns the session's TLS description. */
    private String deliver(NextHop nextHop, SmtpSettings settings, Peer peer) throws MessagingException {
        String description;
        try (SmtpSession session = SmtpSession.open(nextHop, peer, settings, TIMEOUTS, BUDGET)) {
            description = session.tlsDescription();
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, content("Subject: tls\r\n\r\nsecret content\r\n"), BUDGET);
            assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        }
        server.awaitReceived(1, Duration.ofSeconds(5));
        return description;
    }
}
