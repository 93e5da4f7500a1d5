package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import jakarta.mail.MessagingException;

import java.util.ArrayList;
import java.util.List;

/**
 * Delivers with a fresh {@link SmtpSession} per message. A connection that cannot be made, or
 * is refused at the greeting, defers every recipient with the reason.
 *
 * <p>Thread-safe: holds no state between calls.
 */
public final class SmtpDeliverer implements Deliverer {

    private final SmtpSettings settings;

    public SmtpDeliverer(SmtpSettings settings) {
        this.settings = settings;
    }

    @Override
    public List<RecipientOutcome> deliver(NextHop nextHop, String queueId, Envelope envelope, byte[] content) {
        try (SmtpSession session = SmtpSession.open(nextHop, settings)) {
            return session.send(envelope, content);
        } catch (MessagingException e) {
            String reason = "cannot connect to " + nextHop + ": " + SmtpSession.describe(e);
            List<RecipientOutcome> outcomes = new ArrayList<>();
            for (String recipient : envelope.recipients()) {
                outcomes.add(new RecipientOutcome(recipient, Status.DEFERRED, 0, reason));
            }
            return outcomes;
        }
    }
}
