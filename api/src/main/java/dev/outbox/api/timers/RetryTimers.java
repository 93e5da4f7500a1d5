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
     * past), replacing the destination's pending wake-up, if any: each destination has at most
     * one. Concurrent calls for one destination leave exactly one wake-up, that of the call
     * that came last. The adapter treats a wake-up with nothing due as harmless.
     */
    void schedule(String destination, Instant due);

    /** Wake-ups pending now for {@code destination}, as the timer service holds them: 0 or 1. */
    int pending(String destination);
}
