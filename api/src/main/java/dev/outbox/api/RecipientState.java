package dev.outbox.api;

/**
 * Where one recipient of a queued message stands. A recipient is in exactly one state; the
 * last four are terminal and final.
 */
public enum RecipientState {
    /** Due now: waiting in its transfer queue for a connection. */
    QUEUED,
    /** Being transferred on a connection now. */
    IN_FLIGHT,
    /** A temporary failure: due again at a known time. */
    DEFERRED,
    /** Held by an operator: not attempted until unfrozen. */
    FROZEN,
    /** The next hop accepted it. */
    DELIVERED,
    /** Refused permanently (5xx); the sender gets a delivery status notification. */
    BOUNCED,
    /** Still undelivered when the message expired; the sender gets a notification. */
    EXPIRED,
    /** Deleted by an operator. */
    DELETED;

    /** True for DELIVERED, BOUNCED, EXPIRED and DELETED. */
    public boolean isTerminal() {
        return ordinal() >= DELIVERED.ordinal();
    }
}
