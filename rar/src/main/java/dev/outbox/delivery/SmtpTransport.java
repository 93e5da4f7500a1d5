package dev.outbox.delivery;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import org.eclipse.angus.mail.smtp.SMTPTransport;

/**
 * Angus's {@link SMTPTransport}, remembering what {@link SmtpSession} needs to explain a failed
 * connection: whether the server answered EHLO or HELO, whether its first EHLO offered STARTTLS,
 * and how STARTTLS failed (a refusal, or a handshake or certificate failure), which Angus reports
 * only as a {@link MessagingException} like any other.
 *
 * <p>Angus names its loggers after the package of the transport's class: Outbox's SMTP trace is
 * under {@code dev.outbox.delivery} (FINE) and {@code dev.outbox.delivery.protocol} (FINEST, the
 * dialogue; AUTH is left out), not {@code org.eclipse.angus.mail.smtp}.
 *
 * <p>Its Session is shared ({@link MailSessions}): {@link #connect} takes out of it the login that
 * {@code Service.connect} files there when connecting without a password (the system's user
 * name and no password, keyed by host and port), which would otherwise pile up, one for each
 * host the Session ever reached.
 *
 * <p>Threading: one thread, as Angus's transport. Its records are read after {@code connect}
 * returned or threw.
 */
final class SmtpTransport extends SMTPTransport {

    private boolean greeted;
    private boolean offeredStartTls;
    private MessagingException startTlsFailure;

    SmtpTransport(Session session) {
        super(session, new URLName("smtp", null, -1, null, null, null)); // as Session.getTransport("smtp") makes it
    }

    @Override
    public synchronized void connect(String host, int port, String user, String password) throws MessagingException {
        try {
            super.connect(host, port, user, password);
        } finally {
            if (password == null) { // given one, Service.connect files nothing
                session.setPasswordAuthentication(getURLName(), null);
            }
        }
    }

    @Override
    protected boolean ehlo(String domain) throws MessagingException {
        boolean answered = super.ehlo(domain);
        if (!greeted && answered) {
            greeted = true;
            offeredStartTls = supportsExtension("STARTTLS"); // the first EHLO, before TLS: the one that decides STARTTLS
        }
        return answered;
    }

    @Override
    protected void helo(String domain) throws MessagingException {
        super.helo(domain);
        greeted = true;
    }

    @Override
    protected void startTLS() throws MessagingException {
        try {
            super.startTLS();
        } catch (MessagingException e) {
            startTlsFailure = e;
            throw e;
        }
    }

    /** True once the server answered EHLO or HELO. */
    boolean greeted() {
        return greeted;
    }

    /** True when the server's first EHLO listed STARTTLS. */
    boolean offeredStartTls() {
        return offeredStartTls;
    }

    /** How STARTTLS failed (refused, or the TLS handshake or the certificate check failed), or null. */
    MessagingException startTlsFailure() {
        return startTlsFailure;
    }
}
