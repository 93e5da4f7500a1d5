package dev.outbox.management;

import javax.management.ConstructorParameters;

/** One recipient of a message, as an open type. */
public final class RecipientDetail {

    private final String address;
    private final String destination;
    private final String state;
    private final String dueTime;
    private final int attempts;
    private final String lastReply;

    @ConstructorParameters({"address", "destination", "state", "dueTime", "attempts", "lastReply"})
    public RecipientDetail(String address, String destination, String state, String dueTime, int attempts, String lastReply) {
        this.address = address;
        this.destination = destination;
        this.state = state;
        this.dueTime = dueTime;
        this.attempts = attempts;
        this.lastReply = lastReply;
    }

    public String getAddress() {
        return address;
    }

    /** The transfer queue it goes through. */
    public String getDestination() {
        return destination;
    }

    /** QUEUED, IN_FLIGHT, DEFERRED, FROZEN, DELIVERED, BOUNCED, EXPIRED or DELETED. */
    public String getState() {
        return state;
    }

    /** When a deferred recipient is due again, or since when a queued one is due; "" otherwise. */
    public String getDueTime() {
        return dueTime;
    }

    public int getAttempts() {
        return attempts;
    }

    /** The last reply of its next hop, or the reason it is where it is; "" when none. */
    public String getLastReply() {
        return lastReply;
    }
}
