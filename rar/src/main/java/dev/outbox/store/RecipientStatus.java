package dev.outbox.store;

import dev.outbox.api.RecipientState;

/**
 * What the store keeps of one recipient: its state, when it is due again (for a deferred
 * recipient; 0 otherwise) and how many attempts it has had.
 */
public record RecipientStatus(RecipientState state, long dueMillis, int attempts) {

    public static final RecipientStatus QUEUED = new RecipientStatus(RecipientState.QUEUED, 0, 0);

    public RecipientStatus {
        if (state == RecipientState.IN_FLIGHT) {
            throw new IllegalArgumentException("IN_FLIGHT is never stored: after a crash an attempt in flight is simply due again");
        }
    }
}
