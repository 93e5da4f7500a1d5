package dev.outbox.queue;

import java.time.Instant;

/**
 * The clock the queue asks for wake-ups: at {@code due}, call {@link MailQueue#wake} with the
 * destination. The adapter implements it with the EJB module's timers.
 */
public interface Wakeups {

    /**
     * Arranges one {@code MailQueue.wake(destination)} at {@code due} or soon after it,
     * replacing the destination's earlier one. Returns false when it could not (no clock is
     * attached yet): the queue then asks again later.
     */
    boolean wakeAt(String destination, Instant due);
}
