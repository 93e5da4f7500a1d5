package dev.outbox.api;

/**
 * The queue's store has no room for the message now (its configured size or the disk is
 * full). Nothing of the message was stored; submitting it again once mail has drained may
 * succeed.
 */
public class QueueFullException extends OutboxException {

    private static final long serialVersionUID = 1L;

    public QueueFullException(String message) {
        super(message);
    }
}
