package dev.outbox.api.timers;

import java.time.Instant;

/**
 * The clock the adapter asks for wake-ups: implemented by Outbox's EJB module with the EJB
 * timer service, so the server, not the adapter, owns the threads that wait.
 *
 * <p>Not for applications. The EJB module attaches its implementation to the adapter through
 * {@link RetryTimerHost} when it starts and detaches it when it stops.
 */
public interface RetryTimers {

    /**
     * Arranges one call of {@link RetryTimerHost#timerExpired(String)} with
     * {@code destination} at {@code due} or as soon as possible after it (at once if it is
     * past). Scheduling the same destination again adds a second wake-up; the adapter treats
     * a wake-up with nothing due as harmless.
     */
    void schedule(String destination, Instant due);
}
