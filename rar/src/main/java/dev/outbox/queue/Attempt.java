package dev.outbox.queue;

import dev.outbox.api.Envelope;

import java.util.ArrayList;
import java.util.List;

/**
 * One try at one message on one connection: the recipients taken in flight for it and the
 * deadline by which it must end. The deadline is also the attempt's token: a recipient counts
 * as part of this attempt only while it is IN_FLIGHT with this deadline, so an outcome that
 * arrives after the sweep repaired a lost attempt changes nothing.
 *
 * @param queue          the transfer queue it was taken from
 * @param message        the message
 * @param recipients     indexes of the recipients taken, in envelope order
 * @param deadlineMillis when the attempt's connection is closed if it has not ended
 */
public record Attempt(TransferQueue queue, QueuedMessage message, int[] recipients, long deadlineMillis) {

    /** The addresses of the recipients taken, in the order of {@link #recipients}. */
    public List<String> addresses() {
        List<String> addresses = new ArrayList<>(recipients.length);
        for (int recipient : recipients) {
            addresses.add(message.recipient(recipient));
        }
        return addresses;
    }

    /** The envelope to send: the message's reverse path and the recipients taken. */
    public Envelope envelope() {
        return Envelope.of(message.reversePath(), addresses());
    }
}
