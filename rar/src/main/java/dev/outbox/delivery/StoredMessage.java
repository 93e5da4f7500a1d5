package dev.outbox.delivery;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import org.eclipse.angus.mail.smtp.SMTPMessage;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A queued message's content as Angus's transport sends it: the stored bytes, written as they
 * are. They were made canonical at submit (RFC 5322, CRLF line ends, Bcc and Content-Length
 * left out), so there is nothing to parse at each attempt: parsing them into a MimeMessage cost
 * a third of the delivery threads' CPU, most of it Jakarta Mail looking up its stream provider
 * for every message (the bench's profile, issue 19). Angus's SMTP output stream still
 * dot-stuffs and ends the data.
 *
 * <p>Only {@link #writeTo(OutputStream, String[])}, the one method the transport uses to send
 * the data, is meant to be called; the MimeMessage's own headers and content are empty.
 */
final class StoredMessage extends SMTPMessage {

    private final byte[] content;

    StoredMessage(Session session, byte[] content) {
        super(session);
        this.content = content;
    }

    @Override
    public void writeTo(OutputStream out, String[] ignoreList) throws IOException, MessagingException {
        out.write(content); // ignoreList is Bcc and Content-Length, which submit already left out
    }

    @Override
    public void writeTo(OutputStream out) throws IOException, MessagingException {
        out.write(content);
    }
}
