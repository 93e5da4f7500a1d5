package dev.outbox.queue;

import dev.outbox.delivery.Secret;
import dev.outbox.delivery.SmarthostLogin;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.testing.CapturedLogs;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves AUTH and TLS through the queue engine, as the server runs them: a smarthost that
 * refuses the login puts its queue into RETRY with a reason that names the user, the message
 * waits, and the password is in no log record (Outbox's and Angus's, at every level); a login
 * accepted over TLS delivers, and the connection's log line names the TLS protocol and cipher.
 */
class SmarthostLoginTest {

    private static final String PASSWORD = "c0rrect-h0rse-battery";

    @TempDir
    Path keys;

    @AutoClose
    private final CapturedLogs logs = CapturedLogs.capture("dev.outbox", "org.eclipse.angus.mail");
    @AutoClose
    private final EngineFixture engine = new EngineFixture(); // every test domain is relayed through a smarthost: its connections start TLS and log in
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aRefusedLoginDefersTheQueueWithAReasonAndThePasswordIsInNoLogRecord() {
        server.starttls(TestCertificate.generate(keys, "localhost", "dns:localhost").serverContext()).auth("ann", "not the password");
        MailQueue queue = engine.smtp(login()).start();

        engine.submit("held back", "bob@example.org");

        TransferQueue transfer = engine.transfer();
        engine.await(() -> transfer.consecutiveFailures() == 1 && queue.openConnections() == 0, "the smarthost's queue in RETRY");
        assertEquals(QueueState.RETRY, transfer.state(engine.clock.millis()));
        String smarthost = EngineFixture.destination(server);
        assertEquals("cannot connect to " + smarthost + ": " + smarthost + " refused AUTH for user \"ann\": 535 5.7.8 Error:"
                + " authentication failed: authentication failure", transfer.lastError());
        assertEquals(1, engine.store().messageCount(), "the message waits for the next try");
        assertEquals(0, server.count(Command.MAIL));
        assertTrue(logs.text().contains("refused AUTH for user \"ann\""), "the RETRY line gives the reason: " + logs.text());
        assertNoPassword(logs.text());
    }

    @Test
    void aLoginAcceptedOverTlsDeliversAndTheConnectionLineNamesTheCipher() {
        server.starttls(TestCertificate.generate(keys, "localhost", "dns:localhost").serverContext()).auth("ann", PASSWORD);
        engine.smtp(login()).start();

        engine.submit("over tls", "bob@example.org");

        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> logs.records().stream().anyMatch(r -> r.getLevel() == Level.FINE
                && r.getMessage().matches("Outbox connected to " + EngineFixture.destination(server) + ": TLSv1\\.[23] TLS_\\w+")),
                "the connection's line with the TLS protocol and cipher");
        assertEquals(1, server.count(Command.AUTH));
        assertNoPassword(logs.text());
    }

    private static SmtpSettings login() {
        return EngineFixture.smtpSettings(Duration.ofSeconds(5), Duration.ofSeconds(5))
                .withLogin(new SmarthostLogin("ann", Secret.of(PASSWORD), false));
    }

    private static void assertNoPassword(String text) {
        Base64.Encoder base64 = Base64.getEncoder();
        for (String form : List.of(PASSWORD, base64.encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8)),
                base64.encodeToString(("\0ann\0" + PASSWORD).getBytes(StandardCharsets.UTF_8)))) {
            assertFalse(text.contains(form), "the password is in the log");
        }
    }
}
