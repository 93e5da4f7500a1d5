package dev.outbox.queue;

/**
 * A one-way switch that ends a connection from another thread, from the moment the connection
 * starts to be made: {@link DeliveryAgent#abort} fires it, and the {@link Deliverer} hooks the
 * action that closes its socket as soon as it has one, so a connection still waiting for its
 * greeting is ended as surely as one in the middle of a transfer.
 *
 * <p>Threading: safe from any thread. An action hooked after {@link #fire} runs at once; each
 * action runs at most once, on the thread that fired or hooked, never under a lock.
 */
public final class Abort {

    private Runnable action;
    private boolean fired;

    /** Runs {@code close} when the switch fires, or now if it already has; replaces an earlier action. */
    public void onFire(Runnable close) {
        boolean now;
        synchronized (this) {
            now = fired;
            action = now ? null : close;
        }
        if (now) {
            close.run();
        }
    }

    /** Fires the switch: runs the hooked action, if any. Later calls do nothing more. */
    public void fire() {
        Runnable close;
        synchronized (this) {
            if (fired) {
                return;
            }
            fired = true;
            close = action;
            action = null;
        }
        if (close != null) {
            close.run();
        }
    }

    public synchronized boolean fired() {
        return fired;
    }
}
