package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.routing.DnsServer;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.testing.CapturedLogs;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.dns.TestDns;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.SETTINGS;
import static dev.outbox.delivery.LoopbackSmtp.content;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves SMTP AUTH to the smarthost against a real server that checks the credentials: accepted
 * over TLS; refused (535) as a failed connection whose reason names the user and not the
 * password; never attempted over a connection without TLS unless allowed; never to MX hosts.
 * After every test, the password (clear or base64, as AUTH PLAIN and LOGIN send it) is in no
 * log record, with Angus's protocol trace on, nor in any failure's text.
 */
class SmarthostAuthTest {

    private static final String USER = "ann";
    private static final String PASSWORD = "pa55-Wörd:s3cret";
    private static final Envelope ENVELOPE = Envelope.of("app@example.org", "bob@example.org");

    @TempDir
    static Path keys;
    private static TestCertificate certificate;

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();
    @AutoClose
    private final CapturedLogs logs = CapturedLogs.capture("dev.outbox", "org.eclipse.angus.mail");
    @AutoClose
    private SmtpDeliverer deliverer;

    @BeforeAll
    static void makeTheCertificate() {
        certificate = TestCertificate.generate(keys, "localhost", "dns:localhost");
    }

    @AfterEach
    void thePasswordIsInNoLogRecord() {
        assertNoPassword(logs.text(), "the log");
    }

    @Test
    void authIsAcceptedOverTls() throws Exception {
        server.starttls(certificate.serverContext()).auth(USER, PASSWORD);

        String description = deliver(login(false), TlsPolicy.OPPORTUNISTIC);

        assertTrue(description.startsWith("TLSv1."), description);
        List<String> transcript = server.transcript();
        int tls = transcript.indexOf("1 S: <TLS " + description + ">");
        int accepted = transcript.indexOf("1 S: 235 2.7.0 Authentication successful");
        assertTrue(tls >= 0 && accepted > tls, "AUTH after TLS: " + transcript);
        assertNoPassword(String.join("\n", transcript), "the server's transcript");
        assertTrue(logs.text().contains("AUTH PLAIN command trace suppressed"), "Angus traced the dialogue, AUTH hidden: " + logs.text());
    }

    @Test
    void authIsAcceptedWithTheLoginMechanism() throws Exception {
        server.starttls(certificate.serverContext()).auth(USER, PASSWORD);
        server.script(Rules.on(Command.EHLO).reply("250-scripted\n250-STARTTLS\n250 AUTH LOGIN")); // LOGIN only

        deliver(login(false), TlsPolicy.OPPORTUNISTIC);

        List<String> transcript = server.transcript();
        assertTrue(transcript.contains("1 C: AUTH LOGIN"), transcript.toString());
        assertEquals(2, transcript.stream().filter(line -> line.equals("1 C: <AUTH response>")).count(), transcript.toString());
        assertTrue(transcript.contains("1 S: 235 2.7.0 Authentication successful"), transcript.toString());
    }

    @Test
    void refusedAuthFailsTheConnectionWithAReasonThatNamesTheUserAndNotThePassword() {
        server.starttls(certificate.serverContext()).auth(USER, "another password");

        Deliverer.ConnectFailedException refused = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer(login(false), TlsPolicy.OPPORTUNISTIC).connect(smarthost(), BUDGET));

        assertEquals("cannot connect to " + smarthost() + ": " + smarthost() + " refused AUTH for user \"ann\": "
                + "535 5.7.8 Error: authentication failed: authentication failure", refused.getMessage());
        assertNoPassword(stackTrace(refused), "the failure");
        assertEquals(0, server.count(Command.MAIL));
    }

    @Test
    void authIsNotAttemptedWithoutTls() {
        server.auth(USER, PASSWORD); // AUTH offered, STARTTLS not

        Deliverer.ConnectFailedException refused = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer(login(false), TlsPolicy.OPPORTUNISTIC).connect(smarthost(), BUDGET));

        assertEquals("cannot connect to " + smarthost() + ": " + smarthost() + " does not offer STARTTLS; Outbox sends the credentials"
                + " of \"ann\" only over TLS (outbox.smarthost-auth-without-tls=true allows plain text)", refused.getMessage());
        assertEquals(0, server.count(Command.AUTH));
        assertEquals(0, server.count(Command.MAIL));
    }

    @Test
    void aFailedHandshakeIsNotRetriedInPlainTextWhenAuthNeedsTls() {
        server.starttls(TestCertificate.brokenServerContext()).auth(USER, PASSWORD);

        Deliverer.ConnectFailedException refused = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer(login(false), TlsPolicy.OPPORTUNISTIC).connect(smarthost(), BUDGET));

        assertTrue(refused.getMessage().contains("STARTTLS with " + smarthost() + " failed: "), refused.getMessage());
        assertTrue(refused.getMessage().endsWith("only over TLS (outbox.smarthost-auth-without-tls=true allows plain text)"), refused.getMessage());
        assertEquals(1, server.connectionsAccepted());
        assertEquals(0, server.count(Command.AUTH));
    }

    @Test
    void authGoesWithoutTlsWhenAllowed() throws Exception {
        server.auth(USER, PASSWORD);

        String description = deliver(login(true), TlsPolicy.NONE);

        assertEquals("no TLS", description);
        assertTrue(server.transcript().contains("1 S: 235 2.7.0 Authentication successful"), server.transcript().toString());
    }

    @Test
    void aLoginRefusedWithoutTlsGivesTheSameReason() {
        server.auth(USER, "another password");

        Deliverer.ConnectFailedException refused = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer(login(true), TlsPolicy.NONE).connect(smarthost(), BUDGET));

        assertEquals("cannot connect to " + smarthost() + ": " + smarthost() + " refused AUTH for user \"ann\": "
                + "535 5.7.8 Error: authentication failed: authentication failure", refused.getMessage());
        assertNoPassword(stackTrace(refused), "the failure");
    }

    @Test
    void mxHostsGetNoAuth() throws Exception {
        server.starttls(certificate.serverContext()).auth(USER, PASSWORD);
        try (TestDns dns = TestDns.start()) {
            dns.mx("mx.example", 10, "mx1.mx.example").a("mx1.mx.example", "127.0.0.1");
            deliverer = new SmtpDeliverer(SETTINGS.withLogin(login(false)),
                    new MxResolver(DnsSettings.defaults().withServers(List.of(DnsServer.parse(dns.server())))), server.port());
            try (Deliverer.Connection connection = deliverer.connect(Destination.domain("mx.example"), BUDGET)) { // routed by MX: an MX host
                assertEquals(Status.DELIVERED, connection.send(ENVELOPE, content("Subject: a\r\n\r\nb\r\n"), BUDGET).get(0).status());
            }
        }

        assertEquals(0, server.count(Command.AUTH));
    }

    @Test
    void aSmarthostThatOffersNoAuthGetsNoMail() {
        server.starttls(certificate.serverContext());

        Deliverer.ConnectFailedException refused = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer(login(false), TlsPolicy.OPPORTUNISTIC).connect(smarthost(), BUDGET));

        assertTrue(refused.getMessage().endsWith("does not offer AUTH, but outbox.smarthost-username is set (\"ann\");"
                + " Outbox sends no mail to it unauthenticated"), refused.getMessage());
        assertEquals(0, server.count(Command.MAIL));
    }

    @Test
    void theSettingsShowTheUsernameAndNeverThePassword() {
        SmtpSettings settings = SETTINGS.withLogin(login(false));

        assertTrue(settings.toString().contains("login=SmarthostLogin[username=ann, password=****, withoutTls=false]"), settings.toString());
        assertNoPassword(settings.toString(), "the settings");
    }

    private SmarthostLogin login(boolean withoutTls) {
        return new SmarthostLogin(USER, Secret.of(PASSWORD), withoutTls);
    }

    private NextHop smarthost() {
        return new NextHop("127.0.0.1", server.port());
    }

    private SmtpDeliverer deliverer(SmarthostLogin login, TlsPolicy tls) {
        deliverer = new SmtpDeliverer(SETTINGS.withTls(tls).withLogin(login));
        return deliverer;
    }

    /** Delivers one message to the smarthost, logged in as {@code login}, and returns the connection's TLS description. */
    private String deliver(SmarthostLogin login, TlsPolicy tls) throws Exception {
        String description;
        try (Deliverer.Connection connection = deliverer(login, tls).connect(smarthost(), BUDGET)) {
            description = connection.tlsDescription();
            List<RecipientOutcome> outcomes = connection.send(ENVELOPE, content("Subject: auth\r\n\r\nhello\r\n"), BUDGET);
            assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        }
        server.awaitReceived(1, Duration.ofSeconds(5));
        assertEquals(1, server.count(Command.AUTH));
        return description;
    }

    private static String stackTrace(Throwable failure) {
        StringWriter text = new StringWriter();
        failure.printStackTrace(new PrintWriter(text));
        return text.toString();
    }

    /** Fails when {@code text} holds the password as written or in any base64 form AUTH sends it in. */
    static void assertNoPassword(String text, String where) {
        Base64.Encoder base64 = Base64.getEncoder();
        for (String form : List.of(PASSWORD, base64.encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8)),
                base64.encodeToString(("\0" + USER + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8)))) {
            assertFalse(text.contains(form), () -> "the password (" + (form.equals(PASSWORD) ? "clear" : "base64") + ") is in " + where);
        }
    }
}
