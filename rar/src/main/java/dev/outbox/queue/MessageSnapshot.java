package dev.outbox.queue;

import dev.outbox.api.RecipientState;

import java.util.List;

/**
 * A message as an operator sees it at one moment: what management shows, taken under the
 * message's lock so its recipients agree with each other. A value; it changes nothing.
 *
 * @param id           the queue id
 * @param submitMillis when it was submitted
 * @param expiryMillis when its undelivered recipients expire
 * @param reversePath  the envelope sender ("" for the null reverse path)
 * @param sizeBytes    its content's size, or -1 when the store no longer has it
 * @param recipients   every recipient, in envelope order
 */
public record MessageSnapshot(String id, long submitMillis, long expiryMillis, String reversePath, int sizeBytes,
                              List<Recipient> recipients) {

    /**
     * One recipient.
     *
     * @param address     its address
     * @param destination the name of its transfer queue
     * @param state       where it stands
     * @param dueMillis   when it is due again (DEFERRED) or due since (QUEUED); 0 otherwise
     * @param attempts    attempts so far
     * @param lastReply   the last reply or reason recorded for it, or ""
     */
    public record Recipient(String address, String destination, RecipientState state, long dueMillis, int attempts,
                            String lastReply) {
    }

    /** The recipients not yet final. */
    public long unfinished() {
        return recipients.stream().filter(recipient -> !recipient.state().isTerminal()).count();
    }

    /** The earliest time a deferred recipient is due again, or 0 when none is deferred. */
    public long nextDueMillis() {
        return recipients.stream().filter(recipient -> recipient.state() == RecipientState.DEFERRED)
                .mapToLong(Recipient::dueMillis).min().orElse(0);
    }
}
