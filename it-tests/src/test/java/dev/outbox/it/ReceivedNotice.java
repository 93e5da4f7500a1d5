package dev.outbox.it;

import dev.outbox.testing.smtp.Received;
import jakarta.mail.Header;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.ContentType;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.text.ParseException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * A delivery status notification as an SMTP peer received it, read back the way a mail client
 * would: Jakarta Mail's {@link MimeMessage}, whose {@code getContent()} finds Angus's
 * {@link MultipartReport} through the dsn jar's mailcap, and its {@link DeliveryStatus}. It
 * keeps the envelope and the raw text, so a test can check both the SMTP transaction and every
 * field.
 *
 * <p>{@link #isNotice} tells a notice from other mail (null reverse path and
 * {@code multipart/report}); {@link #of} parses one and fails the test, naming what is wrong,
 * when it is not a well-formed report.
 */
final class ReceivedNotice {

    private final Received received;
    private final MimeMessage message;
    private final MultipartReport report;
    private final DeliveryStatus status;
    private final MimeMessage returned;

    private ReceivedNotice(Received received) throws MessagingException, IOException {
        this.received = received;
        this.message = new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(received.data()));
        this.report = assertInstanceOf(MultipartReport.class, message.getContent(),
                "the content of a multipart/report, through the dsn jar's mailcap");
        this.status = assertInstanceOf(DeliveryStatus.class, report.getReport(), "the message/delivery-status part");
        this.returned = report.getReturnedMessage();
    }

    /** True when {@code received} came with MAIL FROM:&lt;&gt; and is a multipart/report. */
    static boolean isNotice(Received received) {
        return received.mailFrom().startsWith("<>")
                && received.header("Content-Type").map(type -> type.toLowerCase(Locale.ROOT).startsWith("multipart/report")).orElse(false);
    }

    /** {@code received} parsed as a notice. */
    static ReceivedNotice of(Received received) {
        try {
            return new ReceivedNotice(received);
        } catch (MessagingException | IOException e) {
            throw new AssertionError("not a readable delivery status notification: " + received + "\n" + received.text(), e);
        }
    }

    /** The notices among {@code received} whose returned header carries {@code originalMessageId}, in the order they arrived. */
    static List<ReceivedNotice> about(List<Received> received, String originalMessageId) {
        List<ReceivedNotice> notices = new ArrayList<>();
        for (Received r : received) {
            if (isNotice(r)) {
                ReceivedNotice notice = of(r);
                if (originalMessageId.equals(notice.returnedHeader("Message-ID"))) {
                    notices.add(notice);
                }
            }
        }
        return notices;
    }

    Received received() {
        return received;
    }

    MimeMessage message() {
        return message;
    }

    /** The first value of header {@code name} of the notice itself, or null. */
    String header(String name) {
        try {
            return message.getHeader(name, null);
        } catch (MessagingException e) {
            throw new AssertionError("reading header " + name, e);
        }
    }

    /** The notice's Message-ID: a new one each time a notice is composed, the same on every copy of one stored notice. */
    String messageId() {
        return header("Message-ID");
    }

    ContentType contentType() {
        try {
            return new ContentType(message.getContentType());
        } catch (MessagingException e) {
            throw new AssertionError("reading Content-Type", e);
        }
    }

    /** The human-readable first part. */
    String explanation() {
        try {
            return report.getText();
        } catch (MessagingException e) {
            throw new AssertionError("reading the text part", e);
        }
    }

    /** The per-message fields of the delivery status (Reporting-MTA, Arrival-Date, ...), by name, unfolded. */
    Map<String, String> messageFields() {
        return fields(status.getMessageDSN());
    }

    /** The per-recipient groups of fields, in order, each by name, unfolded. */
    List<Map<String, String>> recipientGroups() {
        List<Map<String, String>> groups = new ArrayList<>();
        for (int i = 0; i < status.getRecipientDSNCount(); i++) {
            groups.add(fields(status.getRecipientDSN(i)));
        }
        return groups;
    }

    /** The only recipient group (failing the test when there are more or none), by name, unfolded. */
    Map<String, String> onlyRecipientGroup() {
        List<Map<String, String>> groups = recipientGroups();
        assertEquals(1, groups.size(), "recipient groups of " + this + ": " + groups);
        return groups.get(0);
    }

    /** The third part's MIME type: text/rfc822-headers or message/rfc822. */
    String returnedType() {
        try {
            return new ContentType(report.getBodyPart(2).getContentType()).getBaseType().toLowerCase(Locale.ROOT);
        } catch (MessagingException e) {
            throw new AssertionError("reading the returned part's type", e);
        }
    }

    /** Header {@code name} of the returned original (its header section or the whole message), or null. */
    String returnedHeader(String name) {
        try {
            return returned == null ? null : returned.getHeader(name, null);
        } catch (MessagingException e) {
            throw new AssertionError("reading the returned header " + name, e);
        }
    }

    /** An RFC 5322 date, as the notice's date fields are written. */
    static Instant date(String value) {
        assertNotNull(value, "a date field is missing");
        try {
            return new MailDateFormat().parse(value).toInstant();
        } catch (ParseException e) {
            throw new AssertionError("not an RFC 5322 date: " + value, e);
        }
    }

    /** Each field of {@code group} once (a repeated one fails the test), in order, its value unfolded. */
    private static Map<String, String> fields(InternetHeaders group) {
        Map<String, String> fields = new LinkedHashMap<>();
        for (Header field : Collections.list(group.getAllHeaders())) {
            String earlier = fields.put(field.getName(), MimeUtility.unfold(field.getValue()));
            assertNull(earlier, "field " + field.getName() + " twice");
        }
        return fields;
    }

    @Override
    public String toString() {
        return "notice " + messageId() + " to " + received.recipients() + " about " + returnedHeader("Message-ID");
    }
}
