package dev.outbox.api;

import jakarta.mail.internet.MimeMessage;

import java.io.InputStream;

/**
 * A handle on the Outbox queue, taken from {@link OutboxConnectionFactory#getConnection()}.
 *
 * <p>Each {@code submit} hands one message to the adapter and returns its queue id as soon as
 * the adapter has accepted it; the adapter then delivers it to every recipient on its own
 * threads. Submit never talks to an SMTP server.
 *
 * <p>Threading: a handle belongs to the thread that took it; do not share it. Misuse: any call
 * on a closed handle throws {@link IllegalStateException}.
 */
public interface OutboxConnection extends AutoCloseable {

    /**
     * Queues a message whose envelope comes from its headers: the reverse path is the
     * {@code Sender} address if there is one, else the first {@code From} address; the
     * recipients are every {@code To}, {@code Cc} and {@code Bcc} address. The {@code Bcc}
     * header is not transmitted. A {@code Message-ID} the message already has is kept; one is
     * generated otherwise and set on {@code message}, as {@code Transport.send} does.
     *
     * @return the queue id of the message, 26 characters, unique and time-ordered
     * @throws MessageRejectedException when the message or an address is unacceptable
     *         (the reason names which); nothing is queued
     * @throws OutboxException when the adapter cannot take the message now
     */
    String submit(MimeMessage message) throws OutboxException;

    /**
     * Queues RFC 5322 content as it is, for the reverse path and recipients of
     * {@code envelope}; the headers are not read for addresses. Line endings are made
     * canonical (CRLF); a NUL byte, a line over 998 octets or content that does not begin
     * with a header field is refused.
     *
     * @return the queue id of the message
     * @throws MessageRejectedException when the content is unacceptable; nothing is queued
     * @throws OutboxException when the adapter cannot take the message now
     */
    String submit(byte[] content, Envelope envelope) throws OutboxException;

    /**
     * Same as {@link #submit(byte[], Envelope)}, reading the content from {@code content}
     * to its end. The caller still owns the stream and closes it.
     */
    String submit(InputStream content, Envelope envelope) throws OutboxException;

    /** Returns the handle to the pool. Closing twice is allowed and does nothing. */
    @Override
    void close();
}
