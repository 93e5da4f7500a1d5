package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.MessageRejectedException;
import dev.outbox.api.OutboxException;
import jakarta.mail.Address;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MailDateFormat;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.UUID;

/**
 * A message as an application hands it in, checked and made ready to queue: its envelope and
 * its canonical content.
 *
 * <p>Two ways in, matching the two kinds of submit: {@link #of(MimeMessage, SubmitLimits, String)}
 * takes the envelope from the headers; {@link #of(InputStream, Envelope, SubmitLimits, String)}
 * takes content as it is with an explicit envelope. Both refuse with
 * {@link MessageRejectedException} before anything is queued, naming the defect; both add a
 * {@code Date} and a {@code Message-ID} where the content has none, as an MTA's submission
 * service does, and keep them where it has.
 *
 * @param envelope the reverse path and recipients
 * @param content  canonical RFC 5322 content, Bcc already removed
 */
public record Submission(Envelope envelope, CanonicalContent content) {

    /** Header fields never transmitted: Bcc is the point of the envelope; Content-Length would lie. */
    private static final String[] NOT_TRANSMITTED = {"Bcc", "Content-Length"};

    private static final Message.RecipientType[] RECIPIENT_TYPES = {
            Message.RecipientType.TO, Message.RecipientType.CC, Message.RecipientType.BCC};

    /**
     * Reads the envelope from {@code message}'s headers (Sender, else the first From; To, Cc
     * and Bcc) and its content without Bcc. Like {@code Transport.send}, it calls
     * {@code saveChanges()} on {@code message}, but an existing Message-ID survives that.
     *
     * @param idDomain the domain of generated Message-IDs
     */
    public static Submission of(MimeMessage message, SubmitLimits limits, String idDomain) throws OutboxException {
        if (message == null) {
            throw new MessageRejectedException("message is null");
        }
        try {
            String messageId = message.getHeader("Message-ID", null);
            message.saveChanges();
            // saveChanges() replaces any Message-ID with one naming the local host: keep the
            // application's, or set ours on its message so that it can read the id back.
            message.setHeader("Message-ID", messageId != null ? messageId : newMessageId(idDomain));
            if (message.getSentDate() == null) {
                message.setSentDate(new Date());
            }
            Envelope envelope = envelopeOf(message, limits);
            ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
            message.writeTo(out, NOT_TRANSMITTED);
            return new Submission(envelope, completed(read(new ByteArrayInputStream(out.toByteArray()), limits), idDomain));
        } catch (MessagingException e) {
            throw new MessageRejectedException("message refused: it cannot be read as MIME: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new MessageRejectedException("message refused: writing its content failed: " + e.getMessage(), e);
        }
    }

    /**
     * Takes {@code content} as it is (line endings made canonical) for {@code envelope}.
     * Reads the stream to its end; the caller closes it.
     */
    public static Submission of(InputStream content, Envelope envelope, SubmitLimits limits, String idDomain)
            throws OutboxException {
        if (content == null) {
            throw new MessageRejectedException("message content is null");
        }
        if (envelope == null) {
            throw new MessageRejectedException("envelope is null");
        }
        checkRecipientCount(envelope, limits);
        try {
            CanonicalContent canonical = read(content, limits);
            if (!canonical.hasHeader("From")) {
                throw new MessageRejectedException("message content refused: it has no From header field (RFC 5322 section 3.6)");
            }
            return new Submission(envelope, completed(canonical, idDomain));
        } catch (IOException e) {
            throw new OutboxException("reading the message content failed: " + e.getMessage(), e);
        }
    }

    private static Envelope envelopeOf(MimeMessage message, SubmitLimits limits) throws MessagingException, MessageRejectedException {
        Address sender = message.getSender();
        if (sender == null) {
            Address[] from = message.getFrom();
            sender = from == null || from.length == 0 ? null : from[0];
        }
        if (sender == null) {
            throw new MessageRejectedException("message refused: it has neither a From nor a Sender address");
        }
        List<String> recipients = new ArrayList<>();
        for (Message.RecipientType type : RECIPIENT_TYPES) {
            Address[] addresses = message.getRecipients(type);
            if (addresses != null) {
                for (Address address : addresses) {
                    recipients.add(mailbox(address, type + " recipient"));
                }
            }
        }
        if (recipients.isEmpty()) {
            throw new MessageRejectedException("message refused: it has no To, Cc or Bcc recipient");
        }
        try {
            Envelope envelope = Envelope.of(mailbox(sender, "sender"), recipients);
            checkRecipientCount(envelope, limits);
            return envelope;
        } catch (IllegalArgumentException e) {
            throw new MessageRejectedException("message refused: " + e.getMessage(), e);
        }
    }

    private static String mailbox(Address address, String role) throws MessageRejectedException {
        if (address instanceof InternetAddress internet && !internet.isGroup()) {
            return internet.getAddress();
        }
        throw new MessageRejectedException("message refused: " + role + " " + address + " is not a single mailbox");
    }

    private static void checkRecipientCount(Envelope envelope, SubmitLimits limits) throws MessageRejectedException {
        if (envelope.recipients().size() > limits.maxRecipients()) {
            throw new MessageRejectedException("message refused: " + envelope.recipients().size()
                    + " recipients, over the limit of " + limits.maxRecipients());
        }
    }

    private static CanonicalContent read(InputStream in, SubmitLimits limits) throws MessageRejectedException, IOException {
        return CanonicalContent.read(in, limits.maxMessageBytes());
    }

    private static String newMessageId(String idDomain) {
        return "<" + UUID.randomUUID() + "@" + idDomain + ">";
    }

    private static CanonicalContent completed(CanonicalContent content, String idDomain) {
        List<String> missing = new ArrayList<>(2);
        if (!content.hasHeader("Date")) {
            missing.add("Date: " + new MailDateFormat().format(new Date()));
        }
        if (!content.hasHeader("Message-ID")) {
            missing.add("Message-ID: " + newMessageId(idDomain));
        }
        return missing.isEmpty() ? content : content.withLeadingFields(missing.toArray(String[]::new));
    }
}
