package dev.outbox.it;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetup;
import dev.outbox.testing.Await;
import jakarta.mail.internet.MimeMessage;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The SMTP server Outbox delivers to in the integration tests: GreenMail in the test JVM, on
 * the port the build passes to WildFly as {@code OUTBOX_SMARTHOST}. It accepts any recipient
 * and keeps one copy per recipient mailbox.
 */
final class TestSmtp {

    static final Duration DELIVERY_DEADLINE = Duration.ofSeconds(20);

    private TestSmtp() {
    }

    /** A fresh, empty server for every test method. */
    static GreenMailExtension server() {
        return new GreenMailExtension(setup());
    }

    /** Where the server listens: loopback, on the port the build gave WildFly as its smarthost. */
    static ServerSetup setup() {
        return new ServerSetup(Integer.getInteger("it.smtp.port", 40025), "127.0.0.1", ServerSetup.PROTOCOL_SMTP);
    }

    /**
     * Waits, up to the deadline, until {@code count} copies in all have arrived, and returns
     * them. (GreenMail's own waitForIncomingEmail counts only mail that arrives after the call.)
     */
    static MimeMessage[] awaitCopies(GreenMailExtension server, int count) {
        Await.until(DELIVERY_DEADLINE, () -> server.getReceivedMessages().length >= count,
                () -> "delivered copies: expected " + count + ", have " + server.getReceivedMessages().length);
        MimeMessage[] received = server.getReceivedMessages();
        assertEquals(count, received.length, "delivered copies within " + DELIVERY_DEADLINE);
        return received;
    }

    /** The copies delivered to {@code mailbox} (an envelope recipient), headers or not. */
    static List<MimeMessage> copiesFor(GreenMailExtension server, String mailbox) {
        return server.findReceivedMessages(user -> user.getEmail().equalsIgnoreCase(mailbox), message -> true).toList();
    }
}
