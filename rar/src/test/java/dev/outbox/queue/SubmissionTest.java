package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.MessageRejectedException;
import dev.outbox.api.OutboxException;
import jakarta.mail.Message.RecipientType;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves how a submission takes its envelope and content from a MimeMessage or from raw content, and what it refuses. */
class SubmissionTest {

    private static final SubmitLimits LIMITS = new SubmitLimits(1024 * 1024, 100);
    private static final String ID_DOMAIN = "outbox.example.net";

    // --- from a MimeMessage ---

    @Test
    void takesTheEnvelopeSenderFromSender() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setSender(new InternetAddress("agent@example.org"));
        message.setRecipients(RecipientType.TO, "to@example.org");

        Submission submission = Submission.of(message, LIMITS, ID_DOMAIN);

        assertEquals("agent@example.org", submission.envelope().reversePath());
    }

    @Test
    void takesTheEnvelopeSenderFromTheFirstFromWithoutSender() throws Exception {
        MimeMessage message = message();
        message.addFrom(InternetAddress.parse("First Author <first@example.org>, second@example.org"));
        message.setRecipients(RecipientType.TO, "to@example.org");

        Submission submission = Submission.of(message, LIMITS, ID_DOMAIN);

        assertEquals("first@example.org", submission.envelope().reversePath());
    }

    @Test
    void sendsToToCcAndBccInThatOrder() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setRecipients(RecipientType.BCC, "hidden@example.org");
        message.setRecipients(RecipientType.CC, "copy@example.org");
        message.setRecipients(RecipientType.TO, "Ann <to1@example.org>, to2@example.org");

        Submission submission = Submission.of(message, LIMITS, ID_DOMAIN);

        assertEquals(List.of("to1@example.org", "to2@example.org", "copy@example.org", "hidden@example.org"),
                submission.envelope().recipients());
    }

    @Test
    void leavesBccOutOfTheContent() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setRecipients(RecipientType.TO, "to@example.org");
        message.setRecipients(RecipientType.BCC, "hidden@example.org, secret@example.org");

        Submission submission = Submission.of(message, LIMITS, ID_DOMAIN);

        String content = text(submission);
        assertFalse(submission.content().hasHeader("Bcc"));
        assertFalse(content.contains("hidden@example.org"), content);
        assertFalse(content.contains("secret@example.org"), content);
        assertTrue(submission.envelope().recipients().contains("hidden@example.org"));
        assertEquals("to@example.org", field(content, "To"));
    }

    @Test
    void keepsAnExistingMessageIdAndDate() throws Exception {
        Date sent = Date.from(Instant.parse("2025-06-02T10:15:30Z"));
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setRecipients(RecipientType.TO, "to@example.org");
        message.setHeader("Message-ID", "<kept.1@app.example.org>");
        message.setSentDate(sent);

        Submission submission = Submission.of(message, LIMITS, ID_DOMAIN);

        String content = text(submission);
        assertEquals("<kept.1@app.example.org>", field(content, "Message-ID"));
        assertEquals(sent, new MailDateFormat().parse(field(content, "Date")));
        assertEquals(1, count(content, "Message-ID"));
        assertEquals(1, count(content, "Date"));
    }

    @Test
    void addsAMessageIdInTheIdDomainAndADateWhereTheyAreMissing() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setRecipients(RecipientType.TO, "to@example.org");
        Instant before = Instant.now().minusSeconds(1);

        Submission submission = Submission.of(message, LIMITS, ID_DOMAIN);

        String content = text(submission);
        assertEquals(1, count(content, "Message-ID"));
        String messageId = field(content, "Message-ID");
        assertTrue(messageId.matches("<[^<>@\\s]+@" + Pattern.quote(ID_DOMAIN) + ">"), messageId);
        assertEquals(messageId, message.getMessageID(), "the application's message carries the id that is sent");
        Instant date = new MailDateFormat().parse(field(content, "Date")).toInstant();
        assertTrue(!date.isBefore(before) && date.isBefore(Instant.now().plus(Duration.ofSeconds(1))), date.toString());
        assertTrue(content.endsWith("\r\n\r\nHello\r\n"), content);
    }

    @Test
    void givesEachMessageItsOwnMessageId() throws Exception {
        String first = field(text(Submission.of(minimalMessage(), LIMITS, ID_DOMAIN)), "Message-ID");
        String second = field(text(Submission.of(minimalMessage(), LIMITS, ID_DOMAIN)), "Message-ID");

        assertNotEquals(first, second);
    }

    @Test
    void refusesAGroupRecipient() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setRecipients(RecipientType.CC, InternetAddress.parseHeader("team: a@example.org, b@example.org;", false));

        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> Submission.of(message, LIMITS, ID_DOMAIN));

        assertTrue(e.getMessage().startsWith("message refused: Cc recipient team:"), e.getMessage());
        assertTrue(e.getMessage().endsWith("is not a single mailbox"), e.getMessage());
    }

    @Test
    void refusesAGroupSender() throws Exception {
        MimeMessage message = message();
        message.setFrom(InternetAddress.parseHeader("authors: a@example.org;", false)[0]);
        message.setRecipients(RecipientType.TO, "to@example.org");

        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> Submission.of(message, LIMITS, ID_DOMAIN));

        assertTrue(e.getMessage().startsWith("message refused: sender authors:"), e.getMessage());
        assertTrue(e.getMessage().endsWith("is not a single mailbox"), e.getMessage());
    }

    @Test
    void refusesAMessageWithoutRecipients() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");

        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> Submission.of(message, LIMITS, ID_DOMAIN));

        assertEquals("message refused: it has no To, Cc or Bcc recipient", e.getMessage());
    }

    @Test
    void refusesAMessageWithoutFromOrSender() throws Exception {
        MimeMessage message = message();
        message.setRecipients(RecipientType.TO, "to@example.org");

        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> Submission.of(message, LIMITS, ID_DOMAIN));

        assertEquals("message refused: it has neither a From nor a Sender address", e.getMessage());
    }

    @Test
    void refusesABadAddressNamingItsPlaceInTheEnvelope() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setRecipients(RecipientType.TO, "to@example.org, x@" + "b".repeat(64) + ".example.org");

        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> Submission.of(message, LIMITS, ID_DOMAIN));

        assertTrue(e.getMessage().startsWith("message refused: recipient 2 "), e.getMessage());
        assertTrue(e.getMessage().contains("has a bad domain: a label must have 1 to 63 characters"), e.getMessage());
    }

    @Test
    void enforcesTheRecipientLimitAfterDuplicatesAreRemoved() throws Exception {
        SubmitLimits two = new SubmitLimits(1024 * 1024, 2);
        MimeMessage atLimit = message();
        atLimit.setFrom("author@example.org");
        atLimit.setRecipients(RecipientType.TO, "a@example.org, b@example.org");
        atLimit.setRecipients(RecipientType.CC, "a@EXAMPLE.org");
        MimeMessage overLimit = message();
        overLimit.setFrom("author@example.org");
        overLimit.setRecipients(RecipientType.TO, "a@example.org, b@example.org");
        overLimit.setRecipients(RecipientType.BCC, "c@example.org");

        assertEquals(List.of("a@example.org", "b@example.org"), Submission.of(atLimit, two, ID_DOMAIN).envelope().recipients());
        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> Submission.of(overLimit, two, ID_DOMAIN));
        assertEquals("message refused: 3 recipients, over the limit of 2", e.getMessage());
    }

    @Test
    void enforcesTheSizeLimitOnTheWrittenMessage() throws Exception {
        MimeMessage message = minimalMessage();
        message.setText("x".repeat(100).concat("\n").repeat(30));

        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> Submission.of(message, new SubmitLimits(1024, 10), ID_DOMAIN));

        assertEquals("message content refused: it is larger than the limit of 1024 bytes", e.getMessage());
    }

    @Test
    void refusesNullMessage() {
        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> Submission.of((MimeMessage) null, LIMITS, ID_DOMAIN));

        assertEquals("message is null", e.getMessage());
    }

    // --- from raw content ---

    @Test
    void takesCompleteContentByteForByteOnceCanonical() throws Exception {
        String sent = "From: author@example.org\nTo: to@example.org\nDate: Mon, 2 Jun 2025 10:15:30 +0000\n"
                + "Message-ID: <raw.1@app.example.org>\nSubject: raw\n\nline one\n.\n..two\r\nlast";
        Envelope envelope = Envelope.of("bounces@example.org", "rcpt@example.org");

        Submission submission = Submission.of(stream(sent), envelope, LIMITS, ID_DOMAIN);

        assertEquals(sent.replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n", text(submission));
        assertEquals(envelope, submission.envelope());
    }

    @Test
    void addsOnlyWhatIsMissingBeforeTheOriginalContent() throws Exception {
        String withDate = "From: author@example.org\r\nDate: Mon, 2 Jun 2025 10:15:30 +0000\r\n\r\nbody\r\n";
        String withId = "From: author@example.org\r\nMessage-ID: <raw.2@app.example.org>\r\n\r\nbody\r\n";
        String withNeither = "From: author@example.org\r\n\r\nbody\r\n";
        Envelope envelope = Envelope.of("author@example.org", "rcpt@example.org");

        String dateKept = text(Submission.of(stream(withDate), envelope, LIMITS, ID_DOMAIN));
        String idKept = text(Submission.of(stream(withId), envelope, LIMITS, ID_DOMAIN));
        String bothAdded = text(Submission.of(stream(withNeither), envelope, LIMITS, ID_DOMAIN));

        assertTrue(dateKept.matches("Message-ID: <[^<>@\\s]+@outbox\\.example\\.net>\r\n\\Q" + withDate + "\\E"), dateKept);
        assertTrue(idKept.matches("Date: [^\r\n]+\r\n\\Q" + withId + "\\E"), idKept);
        assertTrue(bothAdded.matches("Date: [^\r\n]+\r\nMessage-ID: <[^<>@\\s]+@outbox\\.example\\.net>\r\n\\Q" + withNeither + "\\E"),
                bothAdded);
        assertNotNull(new MailDateFormat().parse(field(idKept, "Date")));
    }

    @Test
    void recognisesExistingFieldsWhateverTheirCase() throws Exception {
        String sent = "from: author@example.org\r\nDATE: Mon, 2 Jun 2025 10:15:30 +0000\r\nmessage-id: <x@y>\r\n\r\nbody\r\n";

        Submission submission = Submission.of(stream(sent), Envelope.of("", "rcpt@example.org"), LIMITS, ID_DOMAIN);

        assertEquals(sent, text(submission));
    }

    @Test
    void refusesContentWithoutAFromField() {
        String sent = "Sender: agent@example.org\r\nSubject: no author\r\n\r\nFrom: only in the body\r\n";

        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> Submission.of(stream(sent), Envelope.of("agent@example.org", "rcpt@example.org"), LIMITS, ID_DOMAIN));

        assertEquals("message content refused: it has no From header field (RFC 5322 section 3.6)", e.getMessage());
    }

    @Test
    void refusesMalformedContentNamingTheDefect() {
        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> Submission.of(stream("From: a@example.org\r\n\r\nnul\0\r\n"), Envelope.of("", "r@example.org"), LIMITS, ID_DOMAIN));

        assertEquals("message content refused: a NUL byte on line 3", e.getMessage());
    }

    @Test
    void enforcesTheRecipientLimitOnAGivenEnvelope() {
        Envelope three = Envelope.of("author@example.org", "a@example.org", "b@example.org", "c@example.org");

        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> Submission.of(stream("From: author@example.org\r\n\r\n"), three, new SubmitLimits(1024, 2), ID_DOMAIN));

        assertEquals("message refused: 3 recipients, over the limit of 2", e.getMessage());
    }

    @Test
    void refusesNullContentOrEnvelope() {
        Envelope envelope = Envelope.of("", "r@example.org");

        OutboxException noContent = assertThrows(MessageRejectedException.class,
                () -> Submission.of(null, envelope, LIMITS, ID_DOMAIN));
        OutboxException noEnvelope = assertThrows(MessageRejectedException.class,
                () -> Submission.of(stream("From: a@example.org\r\n"), null, LIMITS, ID_DOMAIN));

        assertEquals("message content is null", noContent.getMessage());
        assertEquals("envelope is null", noEnvelope.getMessage());
    }

    /** A message with a text body, as every MimeMessage needs before it can be written. */
    private static MimeMessage message() throws Exception {
        MimeMessage message = new MimeMessage(Session.getInstance(new Properties()));
        message.setText("Hello");
        return message;
    }

    private static MimeMessage minimalMessage() throws Exception {
        MimeMessage message = message();
        message.setFrom("author@example.org");
        message.setRecipients(RecipientType.TO, "to@example.org");
        return message;
    }

    private static InputStream stream(String text) {
        return new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII));
    }

    private static String text(Submission submission) {
        return new String(submission.content().bytes(), StandardCharsets.US_ASCII);
    }

    /** The value of the first header field named {@code name}, unfolded. */
    private static String field(String content, String name) {
        String headers = content.substring(0, content.indexOf("\r\n\r\n")).replaceAll("\r\n[ \t]+", " ");
        for (String line : headers.split("\r\n")) {
            int colon = line.indexOf(':');
            if (line.substring(0, colon).equalsIgnoreCase(name)) {
                return line.substring(colon + 1).strip();
            }
        }
        throw new AssertionError("no " + name + " field in:\n" + headers);
    }

    private static int count(String content, String name) {
        String headers = content.substring(0, content.indexOf("\r\n\r\n") + 2);
        return (int) headers.lines().filter(line -> line.regionMatches(true, 0, name + ":", 0, name.length() + 1)).count();
    }
}
