package dev.outbox.queue;

import dev.outbox.api.Envelope;

import java.util.List;

/**
 * Sends one message to one next hop: the queue's only view of the network. Implemented in
 * {@code dev.outbox.delivery} with Angus SMTP.
 *
 * <p>Contract: {@link #deliver} never throws for a network or protocol failure; it returns one
 * {@link RecipientOutcome} for every recipient of {@code envelope}, in order. A recipient is
 * {@link RecipientOutcome.Status#DELIVERED} only after the next hop acknowledged the data.
 * Threading: called from many delivery threads at once.
 */
public interface Deliverer {

    List<RecipientOutcome> deliver(NextHop nextHop, String queueId, Envelope envelope, byte[] content);
}
