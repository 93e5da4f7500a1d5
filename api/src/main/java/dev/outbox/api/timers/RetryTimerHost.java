package dev.outbox.api.timers;

/**
 * The adapter's side of the retry clock: a JCA admin object bound at
 * {@code java:/eis/OutboxRetryTimers} through which Outbox's EJB module attaches the
 * {@link RetryTimers} it implements and delivers their expiries. The EJB module also hands the
 * adapter, through it, the server's metrics registry when the server has one (a CDI-only
 * service the adapter cannot reach by itself).
 *
 * <p>Not for applications. Threading: every method may be called from any thread.
 */
public interface RetryTimerHost {

    /** JNDI name of the admin object. */
    String JNDI_NAME = "java:/eis/OutboxRetryTimers";

    /**
     * Makes {@code timers} the clock the adapter uses, replacing any earlier one, and checks
     * the round trip by scheduling one immediate wake-up on it.
     */
    void attach(RetryTimers timers);

    /** Forgets {@code timers} if it is the attached clock; otherwise does nothing. */
    void detach(RetryTimers timers);

    /** Called by the attached clock when a wake-up for {@code destination} is due. */
    void timerExpired(String destination);

    /**
     * Called by the clock every few seconds: merges every deferred recipient whose time has
     * passed, so that a lost or late wake-up strands nothing, and counts what it found.
     */
    void sweep();

    /** True while a clock is attached. */
    boolean isAttached();

    /** True once the attached clock has delivered a wake-up back to the adapter. */
    boolean isRoundTripVerified();

    /**
     * Publishes Outbox's meters in {@code registry}, a Micrometer {@code MeterRegistry} (typed
     * Object so that this API needs no Micrometer), replacing any registry attached before, until
     * {@link #detachMeterRegistry} or the adapter stops, which remove them. One the adapter cannot
     * use (not a {@code MeterRegistry} of the class the adapter sees) is logged and ignored: metrics
     * never keep mail from flowing.
     *
     * @throws IllegalArgumentException when {@code registry} is null
     */
    void attachMeterRegistry(Object registry);

    /** Removes Outbox's meters from {@code registry} if it is the attached one; otherwise does nothing. */
    void detachMeterRegistry(Object registry);
}
