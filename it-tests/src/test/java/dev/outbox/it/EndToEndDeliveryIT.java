package dev.outbox.it;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import jakarta.mail.Message;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves one message end to end: an application deployed apart from the EAR injects
 * {@code java:/eis/Outbox}, submits, and a real SMTP server receives the message with the
 * right envelope, every recipient, no Bcc header, and the Message-ID unchanged.
 */
class EndToEndDeliveryIT extends SubmitterTestBase {

    @RegisterExtension
    static final GreenMailExtension SMTP = TestSmtp.server();

    @Test
    void mimeMessageReachesToCcAndBccWithoutTheBccHeader() throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setFrom(new InternetAddress("reports@example.com", "Reports"));
        message.setRecipients(Message.RecipientType.TO, "alice@a.example");
        message.setRecipients(Message.RecipientType.CC, "carol@c.example");
        message.setRecipients(Message.RecipientType.BCC, "bob@b.example");
        message.setSubject("Quarterly report \u00fc", "UTF-8");
        message.setText("Numbers are up.\r\nSee you Monday.", "UTF-8");
        message.setHeader("Message-ID", "<quarterly-1@it.outbox>");

        Http.Answer answer = Http.post(submitter, "submit?mode=mime", "message/rfc822", bytes(message));

        assertEquals(200, answer.status(), answer.body());
        assertTrue(answer.body().matches("(?s)id=[0-9A-HJKMNP-TV-Z]{26}\nmessage-id=<quarterly-1@it.outbox>\n"), answer.body());
        TestSmtp.awaitCopies(SMTP, 3);
        for (String recipient : List.of("alice@a.example", "carol@c.example", "bob@b.example")) {
            List<MimeMessage> copies = TestSmtp.copiesFor(SMTP, recipient);
            assertEquals(1, copies.size(), "copies for " + recipient);
            MimeMessage copy = copies.get(0);
            assertEquals("<reports@example.com>", copy.getHeader("Return-Path", null), "envelope sender seen by " + recipient);
            assertEquals("Quarterly report \u00fc", copy.getSubject());
            assertEquals("Numbers are up.\r\nSee you Monday.", String.valueOf(copy.getContent()).strip());
            assertEquals("<quarterly-1@it.outbox>", copy.getMessageID());
            assertEquals("alice@a.example", copy.getHeader("To", null));
            assertEquals("carol@c.example", copy.getHeader("Cc", null));
            assertNull(copy.getHeader("Bcc"), "the Bcc header must not be transmitted");
        }
    }

    @Test
    void generatedMessageIdIsTheOneDelivered() throws Exception {
        // Written by hand: Jakarta Mail on this side would add a Message-ID before sending.
        String message = "From: app@example.com\r\nTo: dave@d.example\r\nSubject: No id of its own\r\n\r\nOutbox gives it one.\r\n";

        Http.Answer answer = Http.post(submitter, "submit?mode=mime", "message/rfc822", message.getBytes(StandardCharsets.US_ASCII));

        assertEquals(200, answer.status(), answer.body());
        String messageId = answer.body().replaceAll("(?s).*message-id=(\\S+)\n.*", "$1");
        assertTrue(messageId.matches("<.+@.+>"), answer.body());
        TestSmtp.awaitCopies(SMTP, 1);
        assertEquals(messageId, TestSmtp.copiesFor(SMTP, "dave@d.example").get(0).getMessageID());
    }

    @Test
    void explicitEnvelopeDecidesSenderAndRecipients() throws Exception {
        String content = "From: News <news@example.com>\r\n"
                + "To: subscribers@example.com\r\n"
                + "Subject: Issue 42\r\n"
                + "Message-ID: <issue-42@it.outbox>\r\n"
                + "\r\n"
                + "This week in Outbox.\r\n";

        Http.Answer answer = Http.submitRaw(submitter, "bounces+42@example.com", content, "x@x.example", "y@y.example");

        assertEquals(200, answer.status(), answer.body());
        TestSmtp.awaitCopies(SMTP, 2);
        for (String recipient : List.of("x@x.example", "y@y.example")) {
            MimeMessage copy = TestSmtp.copiesFor(SMTP, recipient).get(0);
            assertEquals("<bounces+42@example.com>", copy.getHeader("Return-Path", null));
            assertEquals("Issue 42", copy.getSubject());
            assertEquals("<issue-42@it.outbox>", copy.getMessageID());
            assertEquals("This week in Outbox.", String.valueOf(copy.getContent()).strip());
        }
        assertEquals(List.of(), TestSmtp.copiesFor(SMTP, "subscribers@example.com"), "header recipients are not envelope recipients");
    }

    @Test
    void lineEndingTricksCannotSmuggleASecondMessage() throws Exception {
        // A bare LF before "." is the classic SMTP smuggling opener: Outbox makes it CRLF and
        // dot-stuffs the line, so the server sees one message whose body holds the text.
        String content = "From: app@example.com\r\nTo: erin@e.example\r\nSubject: Smuggle\r\n\r\n"
                + "first line\n.\r\nMAIL FROM:<evil@evil.example>\r\nRCPT TO:<victim@v.example>\r\nDATA\r\nforged\r\n";

        Http.Answer answer = Http.submitRaw(submitter, "app@example.com", content, "erin@e.example");
        assertEquals(200, answer.status(), answer.body());
        // A clean message after it: once it has arrived, anything the first could have forged has too.
        Http.Answer marker = Http.submitRaw(submitter, "app@example.com", "From: app@example.com\r\nSubject: marker\r\n\r\nok\r\n", "frank@f.example");
        assertEquals(200, marker.status(), marker.body());

        TestSmtp.awaitCopies(SMTP, 2);
        assertEquals(List.of(), TestSmtp.copiesFor(SMTP, "victim@v.example"));
        MimeMessage copy = TestSmtp.copiesFor(SMTP, "erin@e.example").get(0);
        String body = String.valueOf(copy.getContent());
        assertTrue(body.contains("first line\r\n.\r\nMAIL FROM:<evil@evil.example>"), body);
        assertTrue(body.contains("forged"), body);
        assertEquals(2, SMTP.getReceivedMessages().length);
    }

    @Test
    void headerInjectionInAnEnvelopeAddressIsRefused() throws Exception {
        Http.Answer answer = Http.submitRaw(submitter, "app@example.com\r\nRCPT TO:<evil@evil.example>", "From: app@example.com\r\n\r\nhi\r\n",
                "grace@g.example");

        assertEquals(400, answer.status());
        assertTrue(answer.body().contains("reverse path") && answer.body().contains("contains CR"), answer.body());
    }

    @Test
    void malformedContentIsRefusedWithTheReason() throws Exception {
        Http.Answer nul = Http.submitRaw(submitter, "app@example.com", "From: app@example.com\r\n\r\nbinary\0here\r\n", "heidi@h.example");
        assertEquals(400, nul.status());
        assertTrue(nul.body().startsWith("MessageRejectedException") && nul.body().contains("NUL byte on line 3"), nul.body());

        Http.Answer headless = Http.submitRaw(submitter, "app@example.com", "just text, no headers\r\n", "heidi@h.example");
        assertEquals(400, headless.status());
        assertTrue(headless.body().contains("line 1"), headless.body());
    }

    @Test
    void rawContentArrivesByteForByte() throws Exception {
        String content = "From: app@example.com\r\nTo: ivan@i.example\r\nSubject: exact\r\nDate: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
                + "Message-ID: <exact@it.outbox>\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast\r\n";

        Http.Answer answer = Http.submitRaw(submitter, "app@example.com", content, "ivan@i.example");
        assertEquals(200, answer.status(), answer.body());

        TestSmtp.awaitCopies(SMTP, 1);
        MimeMessage copy = TestSmtp.copiesFor(SMTP, "ivan@i.example").get(0);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        copy.getRawInputStream().transferTo(body);
        // GreenMail keeps the body without the CRLF that precedes the terminating ".".
        assertEquals(".leading dot\r\n..two dots\r\n.\r\nlast", body.toString(StandardCharsets.US_ASCII));
    }

    /** The message as the servlet will parse it, keeping the Message-ID that saveChanges would replace. */
    private static byte[] bytes(MimeMessage message) throws Exception {
        String messageId = message.getHeader("Message-ID", null);
        message.saveChanges();
        message.setHeader("Message-ID", messageId);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        message.writeTo(out);
        return out.toByteArray();
    }
}
