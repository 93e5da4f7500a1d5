package dev.outbox.queue;

import dev.outbox.delivery.Secret;
import dev.outbox.delivery.SmarthostLogin;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.testing.CapturedLogs;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Reaction;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Proves that a smarthost which echoes what it was sent in its refusal of AUTH (some do, for
 * "debugging") puts no form of the password into the queue's LastError, which every JMX reader
 * sees, nor into any log record. Angus's AUTH PLAIN sends "username NUL username NUL password"
 * in base64 (the username is also the authorization id), so the credentials in the echo are
 * base64 of that, which decodes to the password; the scrub knew only the form without the
 * authorization id, which a username of three letters happens to hide (its base64 ends on a
 * boundary), and one of four does not.
 */
class EchoedCredentialsTest {

    private static final String USER = "anna";
    private static final String PASSWORD = "c0rrect-h0rse-battery";
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{8,}={0,2}");

    @TempDir
    Path keys;

    @AutoClose
    private final CapturedLogs logs = CapturedLogs.capture("dev.outbox", "org.eclipse.angus.mail");
    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void credentialsEchoedInARefusalAreInNeitherTheLastErrorNorTheLog() {
        server.starttls(TestCertificate.generate(keys, "localhost", "dns:localhost").serverContext()).auth(USER, "not the password");
        server.script(exchange -> exchange.command() == Command.AUTH
                ? Reaction.reply("535 5.7.8 Authentication credentials invalid: " + exchange.argument()) : null);
        MailQueue queue = engine.smtp(EngineFixture.smtpSettings(Duration.ofSeconds(5), Duration.ofSeconds(5))
                .withLogin(new SmarthostLogin(USER, Secret.of(PASSWORD), false))).start();

        engine.submit("held back", "bob@example.org");

        TransferQueue transfer = engine.transfer();
        engine.await(() -> transfer.consecutiveFailures() == 1 && queue.openConnections() == 0, "the smarthost's queue in RETRY");
        assertEquals(1, server.count(Command.AUTH));
        assertAll(
                () -> assertNoPassword(transfer.lastError(), "the queue's LastError"),
                () -> assertNoPassword(logs.text(), "the log"));
    }

    /** Fails when {@code text} holds the password, as written or inside anything base64 that decodes to text holding it. */
    private static void assertNoPassword(String text, String where) {
        assertFalse(text.contains(PASSWORD), () -> "the password is in " + where + ": " + text);
        Matcher tokens = BASE64.matcher(text);
        while (tokens.find()) {
            String token = tokens.group();
            String decoded;
            try {
                decoded = new String(Base64.getDecoder().decode(token), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException notBase64) {
                continue;
            }
            assertFalse(decoded.contains(PASSWORD), () -> "the password is in " + where + ", in base64 (" + token + "): " + text);
        }
    }
}
