package dev.outbox.delivery;

import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import jakarta.mail.MessagingException;

/**
 * Opens {@link SmtpSession}s: Angus SMTP connections with Outbox's settings.
 *
 * <p>Thread-safe: holds no state between calls.
 */
public final class SmtpDeliverer implements Deliverer {

    private final SmtpSettings settings;

    public SmtpDeliverer(SmtpSettings settings) {
        this.settings = settings;
    }

    @Override
    public Connection connect(NextHop nextHop) throws ConnectFailedException {
        try {
            return SmtpSession.open(nextHop, settings);
        } catch (MessagingException e) {
            throw new ConnectFailedException("cannot connect to " + nextHop + ": " + SmtpSession.describe(e), e);
        }
    }
}
