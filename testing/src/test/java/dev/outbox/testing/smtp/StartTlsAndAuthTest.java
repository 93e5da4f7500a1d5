package dev.outbox.testing.smtp;

import dev.outbox.testing.TestCertificate;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the server's STARTTLS and AUTH on the wire: unknown until configured; offered in EHLO
 * once configured (STARTTLS only until TLS is active); TLS over the same connection with the
 * given context; AUTH PLAIN and LOGIN checked against the credentials; credentials never in the
 * transcript.
 */
class StartTlsAndAuthTest {

    @TempDir
    Path keys;

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void startTlsAndAuthAreUnknownUntilConfigured() throws Exception {
        try (RawClient client = new RawClient(server)) {
            client.reply();
            assertFalse(client.command("EHLO client.test").contains("STARTTLS"));
            assertEquals("500 5.5.2 Error: command not recognized", client.command("STARTTLS"));
            assertEquals("500 5.5.2 Error: command not recognized", client.command("AUTH PLAIN AGFubgBwdw=="));
        }
        assertEquals(1, server.count(Command.STARTTLS));
        assertEquals(1, server.count(Command.AUTH));
    }

    @Test
    void startTlsTurnsTheSessionIntoTlsAndForgetsWhatCameBefore() throws Exception {
        TestCertificate certificate = TestCertificate.generate(keys, "localhost", "dns:localhost");
        server.starttls(certificate.serverContext());
        try (RawClient client = new RawClient(server)) {
            client.reply();
            assertTrue(client.command("EHLO client.test").endsWith("\n250 STARTTLS"));
            assertEquals("250 2.1.0 Ok", client.command("MAIL FROM:<app@example.org>"));
            assertEquals("220 2.0.0 Ready to start TLS", client.command("STARTTLS"));

            String negotiated = client.startTls(certificate.clientContext());

            assertFalse(client.command("EHLO client.test").contains("STARTTLS"), "not offered again over TLS");
            assertEquals("503 5.5.1 Error: need MAIL command", client.command("RCPT TO:<ann@example.org>"), "the MAIL before TLS is forgotten");
            assertEquals("554 5.5.1 Error: TLS already active", client.command("STARTTLS"));
            assertTrue(server.transcript().contains("1 S: <TLS " + negotiated + ">"), server.transcript().toString());
        }
    }

    @Test
    void aContextWithoutAKeyFailsTheHandshakeAndEndsTheConnection() throws Exception {
        server.starttls(TestCertificate.brokenServerContext());
        try (RawClient client = new RawClient(server)) {
            client.reply();
            client.command("EHLO client.test");
            assertEquals("220 2.0.0 Ready to start TLS", client.command("STARTTLS"));
            TestCertificate anyTrust = TestCertificate.generate(keys, "other");
            try {
                client.startTls(anyTrust.clientContext());
            } catch (IOException expected) {
                // the handshake fails on both ends
            }
        }
        server.awaitOpenConnections(0, Duration.ofSeconds(5));
        assertTrue(server.transcript().stream().anyMatch(line -> line.startsWith("1 S: <TLS handshake failed: ")), server.transcript().toString());
    }

    @Test
    void authPlainAndLoginAreCheckedAndTheCredentialsNeverTranscribed() throws Exception {
        server.auth("ann", "s3cret");
        String plain = base64("\0ann\0s3cret");
        try (RawClient client = new RawClient(server)) {
            client.reply();
            assertTrue(client.command("EHLO client.test").endsWith("\n250 AUTH PLAIN LOGIN"));
            assertEquals("235 2.7.0 Authentication successful", client.command("AUTH PLAIN " + plain));
        }
        try (RawClient client = new RawClient(server)) {
            client.reply();
            client.command("EHLO client.test");
            assertEquals("334 VXNlcm5hbWU6", client.command("AUTH LOGIN"));
            assertEquals("334 UGFzc3dvcmQ6", client.command(base64("ann")));
            assertEquals("535 5.7.8 Error: authentication failed: authentication failure", client.command(base64("wrong")));
            assertEquals("334 ", client.command("AUTH PLAIN"));
            assertEquals("235 2.7.0 Authentication successful", client.command(plain));
            assertEquals("504 5.5.4 Unrecognized authentication type", client.command("AUTH CRAM-MD5"));
        }
        List<String> transcript = server.transcript();
        assertTrue(transcript.contains("1 C: AUTH PLAIN <credentials>"), transcript.toString());
        for (String secret : List.of(plain, base64("s3cret"), "s3cret")) {
            assertFalse(String.join("\n", transcript).contains(secret), transcript.toString());
        }
    }

    private static String base64(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
