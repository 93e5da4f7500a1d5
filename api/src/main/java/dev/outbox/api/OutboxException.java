package dev.outbox.api;

/**
 * Outbox could not do what was asked. The message says what and, where it applies, which
 * message or address; a secret never appears in it.
 *
 * <p>Callers branch on the subtypes: {@link MessageRejectedException} means the same
 * message will never be accepted; any other {@code OutboxException} may succeed later.
 */
public class OutboxException extends Exception {

    private static final long serialVersionUID = 1L;

    public OutboxException(String message) {
        super(message);
    }

    public OutboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
