package dev.outbox.queue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;

/**
 * One next hop's queue: the ready queue (due messages waiting for a connection), the
 * scheduled queue (deferred messages waiting for their time), the queue's retry time after a
 * connection-level failure, and its connections.
 *
 * <p>It holds references only; which recipients of a message are due is the message's own
 * state, checked when an entry is taken, so a stale or repeated entry is skipped, never
 * delivered twice.
 *
 * <p>Operations: {@link #offerReady} and {@link #schedule} add entries; {@link #openConnection}
 * reserves a connection when one may be opened now; {@link #pollReady} gives the next entry to
 * a connection; {@link #pollDue} takes the scheduled entries whose time has come;
 * {@link #failed} and {@link #succeeded} record a connection's fate. Threading: every method
 * locks the queue; none calls out while holding the lock.
 */
public final class TransferQueue {

    private record Scheduled(long dueMillis, QueuedMessage message) {
    }

    private final NextHop nextHop;
    private final String name;
    private final ArrayDeque<QueuedMessage> ready = new ArrayDeque<>();
    private final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>((a, b) -> Long.compare(a.dueMillis, b.dueMillis));
    private int connections;
    private long retryAtMillis;
    private int consecutiveFailures;
    private long lastAttemptMillis;
    private String lastError = "";
    private long armedAtMillis = Long.MAX_VALUE;

    TransferQueue(NextHop nextHop) {
        this.nextHop = nextHop;
        this.name = nextHop.toString();
    }

    public NextHop nextHop() {
        return nextHop;
    }

    /** The queue's name in logs, timers and management: {@code host:port}. */
    public String name() {
        return name;
    }

    public synchronized QueueState state(long nowMillis) {
        if (connections > 0) {
            return QueueState.ACTIVE;
        }
        if (retryAtMillis > nowMillis) {
            return QueueState.RETRY;
        }
        if (!ready.isEmpty()) {
            return QueueState.READY;
        }
        return scheduled.isEmpty() ? QueueState.EMPTY : QueueState.RETRY;
    }

    synchronized void offerReady(QueuedMessage message) {
        ready.addLast(message);
    }

    synchronized void schedule(QueuedMessage message, long dueMillis) {
        scheduled.add(new Scheduled(dueMillis, message));
    }

    /** Reserves a connection if there is due mail, no retry time ahead and fewer than {@code max} open. */
    synchronized boolean openConnection(long nowMillis, int max) {
        if (ready.isEmpty() || retryAtMillis > nowMillis || connections >= max) {
            return false;
        }
        connections++;
        lastAttemptMillis = nowMillis;
        return true;
    }

    synchronized void connectionClosed() {
        connections--;
    }

    /** The next ready entry, or null when there is none or the queue has entered RETRY. */
    synchronized QueuedMessage pollReady(long nowMillis) {
        return retryAtMillis > nowMillis ? null : ready.pollFirst();
    }

    /** Removes and returns the scheduled entries due at {@code nowMillis}. */
    synchronized List<QueuedMessage> pollDue(long nowMillis) {
        List<QueuedMessage> due = new ArrayList<>();
        while (!scheduled.isEmpty() && scheduled.peek().dueMillis <= nowMillis) {
            due.add(scheduled.poll().message);
        }
        return due;
    }

    /** The earliest scheduled due time, or {@code Long.MAX_VALUE}. */
    synchronized long nextDueMillis() {
        return scheduled.isEmpty() ? Long.MAX_VALUE : scheduled.peek().dueMillis;
    }

    /**
     * A connection-level failure: no connection is opened again before the retry time. The
     * connections that fail together while the queue is already in RETRY count once.
     *
     * @param schedule how long to wait after this many failures in a row
     */
    synchronized Retry failed(long nowMillis, RetrySchedule schedule, String error) {
        lastError = error;
        if (retryAtMillis > nowMillis) {
            return new Retry(retryAtMillis, false);
        }
        consecutiveFailures++;
        retryAtMillis = nowMillis + schedule.after(consecutiveFailures).toMillis();
        return new Retry(retryAtMillis, true);
    }

    /** The queue's retry time after a failure, and whether that failure entered RETRY. */
    record Retry(long atMillis, boolean entered) {
    }

    synchronized void succeeded() {
        consecutiveFailures = 0;
        retryAtMillis = 0;
        lastError = "";
    }

    /**
     * True when the queue's retry time passed more than {@code graceMillis} ago and its ready
     * mail still has no connection and none has succeeded since: the wake-up was lost.
     */
    synchronized boolean retryOverdue(long nowMillis, long graceMillis) {
        return retryAtMillis != 0 && retryAtMillis < nowMillis - graceMillis && connections == 0 && !ready.isEmpty();
    }

    /** The ready entries, for the sweep's expiry check; the queue itself is unchanged. */
    synchronized List<QueuedMessage> readySnapshot() {
        return new ArrayList<>(ready);
    }

    /** Consecutive connection-level failures so far; 0 after a success. */
    public synchronized int consecutiveFailures() {
        return consecutiveFailures;
    }

    public synchronized long retryAtMillis() {
        return retryAtMillis;
    }

    public synchronized String lastError() {
        return lastError;
    }

    public synchronized long lastAttemptMillis() {
        return lastAttemptMillis;
    }

    public synchronized int activeConnections() {
        return connections;
    }

    public synchronized int readyCount() {
        return ready.size();
    }

    public synchronized int scheduledCount() {
        return scheduled.size();
    }

    /**
     * Whether a wake-up must be asked for at {@code atMillis}: true unless one is already armed
     * no later than that and still ahead of {@code nowMillis}.
     */
    synchronized boolean arm(long atMillis, long nowMillis) {
        if (armedAtMillis > nowMillis && armedAtMillis <= atMillis) {
            return false;
        }
        armedAtMillis = atMillis;
        return true;
    }

    /** Forgets the armed wake-up, which has fired. */
    synchronized void disarm() {
        armedAtMillis = Long.MAX_VALUE;
    }
}
