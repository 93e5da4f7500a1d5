package dev.outbox.queue;

/** The state of one transfer queue, as operators see it. */
public enum QueueState {
    /** Due messages, waiting for a connection. */
    READY,
    /** Delivering on at least one connection. */
    ACTIVE,
    /** The last attempt failed at the connection level; the next one is at the queue's retry time. */
    RETRY,
    /** Held by an operator. */
    FROZEN,
    /** Nothing due and nothing deferred. */
    EMPTY
}
