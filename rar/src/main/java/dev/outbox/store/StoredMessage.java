package dev.outbox.store;

import dev.outbox.api.Envelope;

import java.util.List;

/**
 * A message as the store keeps it, apart from its content: what {@link MessageStore#add} takes
 * and {@link MessageStore#recover} gives back.
 *
 * @param id              the queue id
 * @param submitMillis    when it was accepted
 * @param expiryMillis    when undelivered recipients expire
 * @param envelope        reverse path and recipients
 * @param statuses        one per recipient of the envelope, in the same order
 * @param delayNoticeSent its delay notice (sent once per message) is durably queued; set by
 *                        {@code MessageStore.update}, never cleared
 */
public record StoredMessage(String id, long submitMillis, long expiryMillis, Envelope envelope, List<RecipientStatus> statuses,
                            boolean delayNoticeSent) {

    public StoredMessage {
        statuses = List.copyOf(statuses);
        if (statuses.size() != envelope.recipients().size()) {
            throw new IllegalArgumentException("message " + id + " has " + envelope.recipients().size()
                    + " recipients but " + statuses.size() + " statuses");
        }
    }

    /** A message whose delay notice is not sent. */
    public StoredMessage(String id, long submitMillis, long expiryMillis, Envelope envelope, List<RecipientStatus> statuses) {
        this(id, submitMillis, expiryMillis, envelope, statuses, false);
    }

    /** This message with its delay notice marked sent. */
    public StoredMessage withDelayNoticeSent() {
        return new StoredMessage(id, submitMillis, expiryMillis, envelope, statuses, true);
    }
}
