package dev.outbox.queue;

import java.time.Instant;

/**
 * The clock the queue asks for wake-ups: at {@code due}, call {@link MailQueue#wake} with the
 * destination. The adapter implements it with the EJB module's timers.
 */
public interface Wakeups {

    /** Arranges one {@code MailQueue.wake(destination)} at {@code due} or soon after it. */
    void wakeAt(String destination, Instant due);
}
