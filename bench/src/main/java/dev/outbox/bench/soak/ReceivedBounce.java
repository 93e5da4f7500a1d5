package dev.outbox.bench.soak;

import dev.outbox.testing.smtp.Received;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeUtility;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * A delivery status notification as the senders' server received it, read as a mail client
 * would: Jakarta Mail's {@link MimeMessage}, whose content is Angus's {@link MultipartReport}
 * (found through the dsn jar's mailcap), its {@link DeliveryStatus}, and the returned header of
 * the original.
 *
 * @param noticeId         the notice's own Message-ID: the same on every copy of one stored notice
 * @param reversePath      the MAIL FROM the notice came with ("&lt;&gt;" for a notice)
 * @param to               the RCPTs it was sent to (the original's sender)
 * @param originalSubject  the Subject of the original, from the returned header
 * @param failed           the Final-Recipient address of every recipient group with {@code Action: failed}
 * @param otherActions     the Action of any other group ("delayed", ...), with its recipient
 * @param acknowledged     whether the senders' server answered 250 to it
 */
record ReceivedBounce(String noticeId, String reversePath, List<String> to, String originalSubject, List<String> failed,
                      List<String> otherActions, boolean acknowledged) {

    private static final Session MAIL = Session.getInstance(new Properties());

    /** {@code received} read as a notice; {@link IllegalArgumentException} saying why when it is not a readable one. */
    static ReceivedBounce of(Received received) {
        try {
            MimeMessage message = new MimeMessage(MAIL, new ByteArrayInputStream(received.data()));
            if (!(message.getContent() instanceof MultipartReport report)) {
                throw new IllegalArgumentException("not a multipart/report: " + message.getContentType());
            }
            if (!(report.getReport() instanceof DeliveryStatus status)) {
                throw new IllegalArgumentException("no message/delivery-status part");
            }
            MimeMessage returned = report.getReturnedMessage();
            String subject = returned == null ? null : returned.getHeader("Subject", null);
            List<String> failed = new ArrayList<>();
            List<String> others = new ArrayList<>();
            for (int i = 0; i < status.getRecipientDSNCount(); i++) {
                InternetHeaders group = status.getRecipientDSN(i);
                String recipient = address(group.getHeader("Final-Recipient", null));
                String action = field(group.getHeader("Action", null)).toLowerCase(Locale.ROOT);
                if (action.equals("failed")) {
                    failed.add(recipient);
                } else {
                    others.add(action + " " + recipient);
                }
            }
            return new ReceivedBounce(message.getMessageID(), received.mailFrom(), received.recipients(),
                    subject == null ? null : MimeUtility.unfold(subject), failed, others, received.acknowledged());
        } catch (MessagingException | IOException e) {
            throw new IllegalArgumentException("unreadable notice: " + e, e);
        }
    }

    /** "rfc822; a@b" as "a@b". */
    private static String address(String finalRecipient) {
        String value = field(finalRecipient);
        int semicolon = value.indexOf(';');
        return (semicolon < 0 ? value : value.substring(semicolon + 1)).strip().toLowerCase(Locale.ROOT);
    }

    private static String field(String value) {
        return value == null ? "" : MimeUtility.unfold(value).strip();
    }
}
