package dev.outbox.dsn;

import dev.outbox.api.RecipientState;
import dev.outbox.queue.Notice;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.dsn.MultipartReport;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves how the composer finds the original's Message-ID: in the header section only, any case, unfolded, and none when empty. */
class DsnComposerTest {

    @Test
    void theMessageIdIsReadUnfoldedFromTheHeaderSectionOnly() {
        assertEquals("<order-1@shop.example>", DsnComposer.messageId(ascii("From: a@shop.example\r\nMessage-ID: <order-1@shop.example>\r\n\r\nbody\r\n")));
        assertEquals("<order-1@shop.example>", DsnComposer.messageId(ascii("message-id:<order-1@shop.example>\r\nSubject: x\r\n\r\n")));
        assertEquals("<folded-1@shop.example>", DsnComposer.messageId(ascii("Subject: x\r\nMessage-ID:\r\n\t<folded-1@shop.example>\r\nTo: b@example.org\r\n\r\n")),
                "folded before the value, the way long ids are");
        assertEquals("<a@shop.example> (the first)", DsnComposer.messageId(ascii("Message-ID: <a@shop.example>\r\n (the first)\r\nTo: b@example.org\r\n\r\n")),
                "continuation lines joined with one space");
        assertNull(DsnComposer.messageId(ascii("Subject: x\r\n\r\nMessage-ID: <in-the-body@shop.example>\r\n")), "the body is not the header");
        assertNull(DsnComposer.messageId(ascii("Message-ID: \r\nSubject: x\r\n\r\n")), "an empty field is none");
        assertNull(DsnComposer.messageId(ascii("X-Message-ID: <other@shop.example>\r\nMessage-IDs: <not@shop.example>\r\n\r\n")));
    }

    @Test
    void aRemoteHostKnownByItsAddressIsWrittenAsAnAddressLiteral() {
        assertEquals("mx.example.org", DsnComposer.host(replied("mx.example.org")));
        assertEquals("[127.0.0.1]", DsnComposer.host(replied("127.0.0.1")));
        assertEquals("[IPv6:2001:db8::1]", DsnComposer.host(replied("2001:db8::1")));
        assertEquals("[192.0.2.7]", DsnComposer.host(replied("[192.0.2.7]")));
        assertNull(DsnComposer.host(new Notice.Recipient("bob@example.org", RecipientState.BOUNCED, 0, "connection refused", "mx.example.org", 1)),
                "no reply, no Remote-MTA");
    }

    private static Notice.Recipient replied(String host) {
        return new Notice.Recipient("bob@example.org", RecipientState.BOUNCED, 550, "550 5.1.1 no such user", host, 1);
    }

    @Test
    void aFoldedMessageIdReachesTheNoticeOnOneLine() throws Exception {
        DsnComposer composer = new DsnComposer(new DeliveryStatusNotice("outbox.test"), DeliveryStatusNotice.Return.HEADERS);
        Instant at = Instant.parse("2027-01-04T09:00:00Z");
        Notice notice = new Notice(Notice.Kind.FAILED, "01ABC", "app@shop.example", at.toEpochMilli(), at.toEpochMilli() + 1,
                List.of(new Notice.Recipient("bob@example.org", RecipientState.BOUNCED, 550, "550 5.1.1 no such user", "mx.example.org",
                        at.toEpochMilli())));
        byte[] dsn = composer.compose(notice, ascii("From: app@shop.example\r\nMessage-ID:\r\n <folded-1@shop.example>\r\n\r\nbody\r\n"));

        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(dsn));
        String text = ((MultipartReport) message.getContent()).getText();
        assertTrue(text.contains("\r\nMessage: <folded-1@shop.example>\r\n"), text);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }
}
