package dev.outbox.delivery;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import dev.outbox.api.Envelope;
import dev.outbox.queue.CanonicalContent;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.outbox.delivery.LoopbackSmtp.SETTINGS;
import static dev.outbox.delivery.LoopbackSmtp.body;
import static dev.outbox.delivery.LoopbackSmtp.content;
import static dev.outbox.delivery.LoopbackSmtp.nextHop;
import static dev.outbox.delivery.LoopbackSmtp.onlyReceived;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that SmtpDeliverer hands messages to a real SMTP server intact and names the next hop when it cannot connect. */
class SmtpDelivererTest {

    @RegisterExtension
    static final GreenMailExtension SERVER = LoopbackSmtp.server();

    private final SmtpDeliverer deliverer = new SmtpDeliverer(SETTINGS);

    @Test
    void deliversToEveryRecipientWith250() throws Exception {
        Envelope envelope = Envelope.of("app@example.org", "ann@example.org", "bob@example.net", "cy@example.com");

        List<RecipientOutcome> outcomes = deliver(envelope, content("Subject: hello\r\n\r\nHi\r\n"));

        assertEquals(envelope.recipients(), outcomes.stream().map(RecipientOutcome::recipient).toList());
        for (RecipientOutcome outcome : outcomes) {
            assertEquals(Status.DELIVERED, outcome.status(), outcome.toString());
            assertEquals(250, outcome.replyCode(), outcome.toString());
        }
        assertTrue(SERVER.waitForIncomingEmail(5_000, 3));
        for (String recipient : envelope.recipients()) {
            assertEquals(1, SERVER.findReceivedMessages(user -> user.getEmail().equals(recipient), message -> true).count(), recipient);
        }
    }

    @Test
    void usesTheEnvelopeSenderAsMailFrom() throws Exception {
        Envelope envelope = Envelope.of("bounces+q1@example.org", "ann@example.org");

        List<RecipientOutcome> outcomes = deliver(envelope, content("Subject: hello\r\n\r\nHi\r\n"));

        assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        MimeMessage received = onlyReceived(SERVER);
        // GreenMail records MAIL FROM as Return-Path; the From field says someone else.
        assertArrayEquals(new String[] {"<bounces+q1@example.org>"}, received.getHeader("Return-Path"));
        assertEquals("author@example.org", received.getHeader("From", null));
    }

    @Test
    void bareLfDotInSubmittedContentCannotEndTheDataEarly() throws Exception {
        String submitted = "From: author@example.org\nSubject: dots\n\nbefore\n.\nQUIT\n.\r\nafter\n";
        byte[] canonical = CanonicalContent.read(new ByteArrayInputStream(submitted.getBytes(StandardCharsets.US_ASCII)), 65_536).bytes();

        List<RecipientOutcome> outcomes = deliver(Envelope.of("app@example.org", "ann@example.org"), canonical);

        assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        assertEquals("before\r\n.\r\nQUIT\r\n.\r\nafter", body(onlyReceived(SERVER)));
    }

    @Test
    void refusesToConnectWhereNothingListensNamingTheHop() throws Exception {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }

        Deliverer.ConnectFailedException failure = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer.connect(new NextHop("127.0.0.1", port), LoopbackSmtp.BUDGET));

        assertTrue(failure.getMessage().startsWith("cannot connect to 127.0.0.1:" + port + ": "), failure.getMessage());
    }

    private List<RecipientOutcome> deliver(Envelope envelope, byte[] content) throws Exception {
        try (Deliverer.Connection connection = deliverer.connect(nextHop(SERVER), LoopbackSmtp.BUDGET)) {
            List<RecipientOutcome> outcomes = connection.send(envelope, content, LoopbackSmtp.BUDGET);
            assertFalse(connection.isBroken(), "a healthy connection stays usable");
            return outcomes;
        }
    }
}
