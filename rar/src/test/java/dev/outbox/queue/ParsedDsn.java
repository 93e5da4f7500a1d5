package dev.outbox.queue;

import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import jakarta.mail.BodyPart;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A delivery status notice as a test server received it, parsed back with real parsers: Jakarta
 * Mail's {@link MimeMessage} over the received bytes, Angus's {@link MultipartReport} and
 * {@link DeliveryStatus} through {@code getContent()}.
 *
 * <p>{@link #of} parses one received message and fails, naming the defect, unless it is what
 * every notice of the engine must be: sent with MAIL FROM:&lt;&gt; to {@link EngineFixture#SENDER}
 * alone and acknowledged; From the mailer daemon of {@link EngineFixture#REPORTING_MTA}, To the
 * sender, Auto-Submitted: auto-replied; a multipart/report; report-type=delivery-status of three
 * parts (text/plain, message/delivery-status, text/rfc822-headers); Reporting-MTA and a dated
 * Arrival-Date; per recipient a Final-Recipient, an Action (failed with a 5.x.x Status and no
 * Will-Retry-Until, or delayed with 4.x.x and one), and a Subject that says which. {@link #notices}
 * parses every notice a server received, telling them from other mail by {@link #isNotice}.
 *
 * <p>Reading: {@link #field} and {@link #messageField} give a field's value unfolded,
 * {@link #finalRecipients} the addresses reported, {@link #returnedHeaders} the third part as sent;
 * {@link #assertFailed} and {@link #assertDelayed} check one recipient's group field by field;
 * {@link #date} reads a date field. Asking for a recipient the notice does not report fails.
 */
final class ParsedDsn {

    static final String SUBJECT_FAILED = "Undelivered Mail Returned to Sender";
    static final String SUBJECT_DELAYED = "Delayed Mail (still being retried)";
    private static final Session SESSION = Session.getInstance(new Properties());

    private final Received received;
    private final MimeMessage message;
    private final MultipartReport report;
    private final DeliveryStatus status;
    private final String returnedHeaders;

    private ParsedDsn(Received received, MimeMessage message, MultipartReport report, DeliveryStatus status, String returnedHeaders) {
        this.received = received;
        this.message = message;
        this.report = report;
        this.status = status;
        this.returnedHeaders = returnedHeaders;
    }

    /** True when {@code received} came with the null reverse path, as every notice does and no other test mail. */
    static boolean isNotice(Received received) {
        return received.mailFrom().equals("<>") || received.mailFrom().startsWith("<> ");
    }

    /** Every notice {@code server} has received so far, parsed and checked. */
    static List<ParsedDsn> notices(ScriptedSmtpServer server) {
        return server.received().stream().filter(ParsedDsn::isNotice).map(ParsedDsn::of).toList();
    }

    /**
     * Waits until {@code server} has received {@code count} notices and {@code engine} is idle,
     * then returns them all, failing when there are more: the engine had stored every notice it
     * will send before it went idle (the caller checks its notice counters for that).
     */
    static List<ParsedDsn> awaitNotices(EngineFixture engine, ScriptedSmtpServer server, int count) {
        engine.await(() -> server.received().stream().filter(ParsedDsn::isNotice).count() >= count && engine.idle(),
                () -> count + " notices received by " + server + ": " + server.received());
        List<ParsedDsn> notices = notices(server);
        assertEquals(count, notices.size(), () -> "notices received: " + server.received());
        return notices;
    }

    /** {@code received} parsed as a notice; fails unless it has the envelope and the structure every notice must have. */
    static ParsedDsn of(Received received) {
        assertTrue(isNotice(received), () -> "a notice goes with MAIL FROM:<>, not " + received.mailFrom());
        assertEquals(List.of(EngineFixture.SENDER), received.recipients(), "a notice goes to the original's sender alone");
        assertTrue(received.acknowledged(), () -> received + " was not acknowledged");
        try {
            MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(received.data()));
            assertEquals("<" + EngineFixture.SENDER + ">", message.getHeader("To", null));
            assertEquals("Mail Delivery System <MAILER-DAEMON@" + EngineFixture.REPORTING_MTA + ">", message.getHeader("From", null));
            assertEquals("auto-replied", message.getHeader("Auto-Submitted", null), "RFC 3834: a notice is auto-replied");
            assertTrue(message.isMimeType("multipart/report"), message.getContentType());
            assertEquals("delivery-status", new ContentType(message.getContentType()).getParameter("report-type"), message.getContentType());

            MultipartReport report = assertInstanceOf(MultipartReport.class, message.getContent());
            assertEquals(3, report.getCount(), "explanation, delivery status, returned header");
            assertTrue(report.getBodyPart(0).isMimeType("text/plain"), report.getBodyPart(0).getContentType());
            assertNotNull(report.getText(), "the human-readable part");
            assertTrue(report.getBodyPart(1).isMimeType("message/delivery-status"), report.getBodyPart(1).getContentType());
            DeliveryStatus status = report.getDeliveryStatus();
            assertNotNull(status, "the message/delivery-status part");
            BodyPart returned = report.getBodyPart(2);
            assertTrue(returned.isMimeType("text/rfc822-headers"), returned.getContentType());
            String headers = new String(returned.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

            ParsedDsn dsn = new ParsedDsn(received, message, report, status, headers);
            dsn.checkFields();
            return dsn;
        } catch (MessagingException e) {
            throw new AssertionError("not a parsable notice: " + received.text(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void checkFields() throws MessagingException {
        assertEquals("dns; " + EngineFixture.REPORTING_MTA, messageField("Reporting-MTA"));
        assertNotNull(date(messageField("Arrival-Date")), "Arrival-Date");
        assertTrue(status.getRecipientDSNCount() > 0, "a notice reports at least one recipient");
        boolean anyFailed = false;
        for (int i = 0; i < status.getRecipientDSNCount(); i++) {
            InternetHeaders group = status.getRecipientDSN(i);
            String recipient = value(group, "Final-Recipient");
            assertTrue(recipient != null && recipient.startsWith("rfc822; "), "Final-Recipient: " + recipient);
            String action = value(group, "Action");
            String code = value(group, "Status");
            assertNotNull(code, () -> "no Status for " + recipient);
            assertTrue(code.matches("[45]\\.\\d{1,3}\\.\\d{1,3}"), "Status: " + code);
            if ("failed".equals(action)) {
                anyFailed = true;
                assertTrue(code.startsWith("5."), () -> recipient + " failed with a class 5 status, not " + code);
                assertNull(value(group, "Will-Retry-Until"), () -> recipient + " failed: nothing is retried");
            } else if ("delayed".equals(action)) {
                assertTrue(code.startsWith("4."), () -> recipient + " delayed with a class 4 status, not " + code);
                assertNotNull(date(value(group, "Will-Retry-Until")), () -> recipient + " delayed: retried until when?");
            } else {
                fail("Action of " + recipient + " is neither failed nor delayed: " + action);
            }
        }
        assertEquals(anyFailed ? SUBJECT_FAILED : SUBJECT_DELAYED, message.getSubject());
    }

    /** The message as the server received it: its envelope and bytes. */
    Received received() {
        return received;
    }

    String subject() {
        try {
            return message.getSubject();
        } catch (MessagingException e) {
            throw new AssertionError(e);
        }
    }

    /** The human-readable explanation (the first part). */
    String text() {
        try {
            return report.getText();
        } catch (MessagingException e) {
            throw new AssertionError(e);
        }
    }

    /** The third part's bytes as text: the original's header section. */
    String returnedHeaders() {
        return returnedHeaders;
    }

    /** The per-message field {@code name} of the delivery status, unfolded, or null. */
    String messageField(String name) {
        return value(status.getMessageDSN(), name);
    }

    /** How many recipients the delivery status reports. */
    int recipientCount() {
        return status.getRecipientDSNCount();
    }

    /** The addresses of the Final-Recipient fields, in order. */
    List<String> finalRecipients() {
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < status.getRecipientDSNCount(); i++) {
            addresses.add(value(status.getRecipientDSN(i), "Final-Recipient").substring("rfc822; ".length()));
        }
        return addresses;
    }

    /** The field {@code name} of the group of {@code recipient}, unfolded, or null when the group has none; fails when no group reports it. */
    String field(String recipient, String name) {
        for (int i = 0; i < status.getRecipientDSNCount(); i++) {
            InternetHeaders group = status.getRecipientDSN(i);
            if (("rfc822; " + recipient).equals(value(group, "Final-Recipient"))) {
                return value(group, name);
            }
        }
        throw new AssertionError("the notice does not report " + recipient + ", only " + finalRecipients());
    }

    /**
     * Checks the group of {@code recipient}: Action failed, {@code status}, Remote-MTA
     * "dns; {@code remoteMta}" (none when null), Diagnostic-Code {@code diagnostic} (with its
     * type), Last-Attempt-Date {@code lastAttempt} (none when null).
     */
    void assertFailed(String recipient, String status, String remoteMta, String diagnostic, Instant lastAttempt) {
        assertRecipient(recipient, "failed", status, remoteMta, diagnostic, lastAttempt);
    }

    /** As {@link #assertFailed}, for Action delayed, retried until {@code willRetryUntil}. */
    void assertDelayed(String recipient, String status, String remoteMta, String diagnostic, Instant lastAttempt,
                       Instant willRetryUntil) {
        assertRecipient(recipient, "delayed", status, remoteMta, diagnostic, lastAttempt);
        assertEquals(willRetryUntil, date(field(recipient, "Will-Retry-Until")), "Will-Retry-Until");
    }

    private void assertRecipient(String recipient, String action, String code, String remoteMta, String diagnostic, Instant lastAttempt) {
        assertEquals(action, field(recipient, "Action"), () -> "Action of " + recipient);
        assertEquals(code, field(recipient, "Status"), () -> "Status of " + recipient);
        // A host known by its address is written as an address literal.
        String written = remoteMta == null ? null : remoteMta.matches("[0-9.]+") ? "[" + remoteMta + "]" : remoteMta;
        assertEquals(written == null ? null : "dns; " + written, field(recipient, "Remote-MTA"), () -> "Remote-MTA of " + recipient);
        assertEquals(diagnostic, field(recipient, "Diagnostic-Code"), () -> "Diagnostic-Code of " + recipient);
        assertEquals(lastAttempt, date(field(recipient, "Last-Attempt-Date")), () -> "Last-Attempt-Date of " + recipient);
    }

    /** Checks that the third part is the header section of {@code original} exactly (its Subject and Message-ID among it). */
    void assertReturns(Submission original) {
        String content = new String(original.content().bytes(), StandardCharsets.ISO_8859_1);
        String header = content.substring(0, content.indexOf("\r\n\r\n") + 2);
        assertTrue(header.contains("\r\nSubject: ") && header.contains("\r\nMessage-ID: "), header);
        assertEquals(header, returnedHeaders, "the notice returns the original's header section");
    }

    /** A date field's value (RFC 5322) as an instant, or null for null. */
    static Instant date(String value) {
        return value == null ? null : ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    }

    private static String value(InternetHeaders fields, String name) {
        String value = fields.getHeader(name, null);
        return value == null ? null : MimeUtility.unfold(value);
    }

    @Override
    public String toString() {
        return "notice " + Arrays.toString(finalRecipients().toArray()) + " " + subject();
    }
}
