package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPMessage;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

import java.io.ByteArrayInputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * One SMTP connection to one next hop, carrying messages one after another, built on Angus's
 * {@link SMTPTransport}.
 *
 * <p>{@link #open} connects and greets (or throws); {@link #send} transfers one message and
 * classifies, per recipient, what the server answered, from reply codes only; {@link #close}
 * says QUIT. Angus writes the data with CRLF line endings and dot-stuffing, so content can
 * never end the DATA phase early.
 *
 * <p>Threading: one thread at a time. Misuse: send after close throws
 * {@link IllegalStateException}.
 */
final class SmtpSession implements Deliverer.Connection {

    private final NextHop nextHop;
    private final Session session;
    private final SMTPTransport transport;
    private boolean closed; // our own flag: Angus's isConnected() costs a NOOP round trip
    private boolean broken;

    private SmtpSession(NextHop nextHop, Session session, SMTPTransport transport) {
        this.nextHop = nextHop;
        this.session = session;
        this.transport = transport;
    }

    /** Connects to {@code nextHop} and completes the greeting and EHLO. */
    static SmtpSession open(NextHop nextHop, SmtpSettings settings) throws MessagingException {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", nextHop.host());
        properties.setProperty("mail.smtp.port", Integer.toString(nextHop.port()));
        properties.setProperty("mail.smtp.localhost", settings.heloName());
        properties.setProperty("mail.smtp.connectiontimeout", Long.toString(settings.connectTimeout().toMillis()));
        properties.setProperty("mail.smtp.timeout", Long.toString(settings.readTimeout().toMillis()));
        // Send to the recipients that were accepted even when others were refused.
        properties.setProperty("mail.smtp.sendpartial", "true");
        Session session = Session.getInstance(properties);
        SMTPTransport transport = (SMTPTransport) session.getTransport("smtp");
        transport.connect(nextHop.host(), nextHop.port(), null, null);
        return new SmtpSession(nextHop, session, transport);
    }

    /**
     * Transfers {@code content} to the recipients of {@code envelope} and returns one outcome
     * per recipient, in envelope order. A recipient is delivered only if the server took the
     * data with 2xx; an address refused at RCPT gets that reply; the rest share the reply to
     * MAIL or DATA, or are deferred with no code when the connection broke.
     */
    @Override
    public List<RecipientOutcome> send(Envelope envelope, byte[] content) {
        List<RecipientOutcome> outcomes = transfer(envelope, content);
        for (RecipientOutcome outcome : outcomes) {
            // No reply (the connection broke or timed out) or 421 (the server is closing): this
            // connection carries nothing more.
            if (outcome.status() != Status.DELIVERED && (outcome.replyCode() == 0 || outcome.replyCode() == 421)) {
                broken = true;
            }
        }
        return outcomes;
    }

    @Override
    public boolean isBroken() {
        return broken || closed;
    }

    private List<RecipientOutcome> transfer(Envelope envelope, byte[] content) {
        if (closed) {
            throw new IllegalStateException("SMTP session to " + nextHop + " is closed");
        }
        List<String> recipients = envelope.recipients();
        Address[] addresses = new Address[recipients.size()];
        for (int i = 0; i < addresses.length; i++) {
            InternetAddress address = new InternetAddress();
            address.setAddress(recipients.get(i)); // checked by Envelope; no re-parsing
            addresses[i] = address;
        }
        try {
            SMTPMessage message = new SMTPMessage(session, new ByteArrayInputStream(content));
            message.setEnvelopeFrom(envelope.isNullSender() ? "<>" : envelope.reversePath());
            transport.sendMessage(message, addresses);
            return RecipientOutcome.all(recipients, Status.DELIVERED, transport.getLastReturnCode(), transport.getLastServerResponse());
        } catch (SendFailedException e) {
            return classify(recipients, e);
        } catch (MessagingException e) {
            return RecipientOutcome.all(recipients, Status.DEFERRED, 0, describe(e));
        }
    }

    private List<RecipientOutcome> classify(List<String> recipients, SendFailedException failure) {
        Map<String, RecipientOutcome> refused = new HashMap<>();
        for (Exception e = failure; e != null; e = e instanceof MessagingException m ? m.getNextException() : null) {
            if (e instanceof SMTPAddressFailedException a) {
                String recipient = a.getAddress().getAddress();
                refused.put(recipient, new RecipientOutcome(recipient, statusOf(a.getReturnCode()), a.getReturnCode(), a.getMessage()));
            }
        }
        Set<String> sent = addressesOf(failure.getValidSentAddresses());
        int code = failure instanceof SMTPSendFailedException s ? s.getReturnCode() : 0;
        String reply = code > 0 ? failure.getMessage() : describe(failure);
        List<RecipientOutcome> outcomes = new ArrayList<>(recipients.size());
        for (String recipient : recipients) {
            RecipientOutcome outcome = refused.get(recipient);
            if (outcome == null) {
                outcome = sent.contains(recipient)
                        ? new RecipientOutcome(recipient, Status.DELIVERED, code, reply)
                        : new RecipientOutcome(recipient, code >= 400 ? statusOf(code) : Status.DEFERRED, code, reply);
            }
            outcomes.add(outcome);
        }
        return outcomes;
    }

    /** 5xx is permanent; everything else that is not success is worth another try. */
    static Status statusOf(int replyCode) {
        if (replyCode >= 200 && replyCode < 300) {
            return Status.DELIVERED;
        }
        return replyCode >= 500 && replyCode < 600 ? Status.FAILED : Status.DEFERRED;
    }

    private static Set<String> addressesOf(Address[] addresses) {
        Set<String> result = new HashSet<>();
        if (addresses != null) {
            for (Address address : addresses) {
                result.add(((InternetAddress) address).getAddress());
            }
        }
        return result;
    }

    /** The failure and its causes in one line, for a recipient whose attempt ended without a reply. */
    static String describe(Exception e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 400; t = t.getCause() == t ? null : t.getCause()) {
            if (!text.isEmpty()) {
                text.append(": ");
            }
            text.append(t.getMessage() != null ? t.getMessage().strip() : t.getClass().getSimpleName());
        }
        return text.toString();
    }

    @Override
    public void close() {
        closed = true;
        try {
            transport.close();
        } catch (MessagingException e) {
            // QUIT failed: the messages were already acknowledged or classified; nothing is lost.
        }
    }
}
