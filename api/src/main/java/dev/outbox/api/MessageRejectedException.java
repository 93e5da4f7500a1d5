package dev.outbox.api;

/**
 * The message itself is unacceptable (bad address, too large, malformed content): submitting
 * it again unchanged will fail again. Nothing of it was queued.
 */
public class MessageRejectedException extends OutboxException {

    private static final long serialVersionUID = 1L;

    public MessageRejectedException(String message) {
        super(message);
    }

    public MessageRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
