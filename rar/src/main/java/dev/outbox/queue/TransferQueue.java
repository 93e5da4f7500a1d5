package dev.outbox.queue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One next hop's queue: the ready queue (messages with due recipients, waiting for a
 * connection), the scheduled queue (deferred recipients, each waiting for its own time), the
 * queue's retry time after a connection-level failure, its connections, and its one wake-up.
 *
 * <p>It holds references only; which recipients are due is the message's own state, checked
 * when an entry is taken, so a stale or repeated entry is skipped, never delivered twice.
 * Scheduled entries are per recipient, so recipients of one message deferred to different
 * times each come back at their own time (the per-recipient case of KB 826948).
 *
 * <p>Operations: {@link #offerReady} and {@link #schedule} add entries (only
 * {@link RecipientLedger} calls them); {@link #openConnection} reserves a connection when due
 * mail waits that no open connection will take; {@link #pollReady} gives the next entry to a
 * connection; {@link #pollDue} takes the scheduled entries whose time has come;
 * {@link #failed} and {@link #succeeded} record a connection's fate; {@link #nextWake} is the
 * time the queue's one timer must fire, and {@link #armed} records the time asked for.
 * Threading: every method locks the queue; none calls out while holding the lock.
 */
public final class TransferQueue {

    /** One deferred recipient waiting for its time. */
    record Scheduled(long dueMillis, QueuedMessage message, int recipient) {
    }

    private final Destination destination;
    private final String name;
    private final ArrayDeque<QueuedMessage> ready = new ArrayDeque<>();
    private final PriorityQueue<Scheduled> scheduled = new PriorityQueue<>((a, b) -> Long.compare(a.dueMillis, b.dueMillis));
    private int connections;
    /** Connections reserved that have not yet taken their first message: each will take one. */
    private int starting;
    /** Since when a reserved connection has waited for its thread, or Long.MAX_VALUE when none waits. */
    private long startingSinceMillis = Long.MAX_VALUE;
    /** When the queue last left RETRY: mail that waited through it is due only from then. */
    private long retryEndedMillis;
    private long retryAtMillis;
    private int consecutiveFailures;
    private long lastAttemptMillis;
    private String lastError = "";
    /** Held by an operator: no connection opens and no connection takes more mail until unfrozen. */
    private boolean frozen;
    /** Since when fewer than the most connections are open, or Long.MAX_VALUE while all are. */
    private long freeSinceMillis;
    /** The time of the one wake-up asked for, or Long.MAX_VALUE when none is pending. */
    private long armedAtMillis = Long.MAX_VALUE;
    /** Held while a wake-up is decided and asked for, so that the clock hears the requests in the order they were decided. */
    final Object armLock = new Object();
    /** Live messages with an unfinished recipient here, and their content bytes: kept by the ledger, so reading them costs nothing. */
    private final AtomicInteger messages = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    /**
     * Recipients here that are DEFERRED now, kept by the ledger: the scheduled queue also holds
     * entries of recipients frozen, deleted or merged since, until their old time comes.
     */
    private final AtomicInteger deferred = new AtomicInteger();
    /** Messages being admitted into this queue right now: the engine keeps a queue that has any. */
    private final AtomicInteger admitting = new AtomicInteger();
    /** When this queue last had work: made, a connection started, or an admission ended. */
    private volatile long lastBusyMillis;

    TransferQueue(Destination destination, long nowMillis) {
        this.destination = destination;
        this.name = destination.name();
        this.lastBusyMillis = nowMillis;
    }

    public Destination destination() {
        return destination;
    }

    /** The queue's name in logs, timers and management: the domain, or the smarthost's {@code host:port}. */
    public String name() {
        return name;
    }

    public synchronized QueueState state(long nowMillis) {
        if (frozen) {
            return QueueState.FROZEN;
        }
        if (connections > 0) {
            return QueueState.ACTIVE;
        }
        if (retryAtMillis > nowMillis) {
            return QueueState.RETRY;
        }
        if (!ready.isEmpty()) {
            return QueueState.READY;
        }
        return deferred.get() == 0 ? QueueState.EMPTY : QueueState.RETRY;
    }

    /** A recipient here entered ({@code +1}) or left ({@code -1}) DEFERRED. */
    void deferred(int change) {
        deferred.addAndGet(change);
    }

    /** Recipients here that are DEFERRED now (the scheduled queue may hold stale entries besides). */
    public int deferredCount() {
        return deferred.get();
    }

    /** A message is being admitted here (+1), or has been (-1, at {@code nowMillis}). */
    void admitting(int change, long nowMillis) {
        admitting.addAndGet(change);
        lastBusyMillis = Math.max(lastBusyMillis, nowMillis);
    }

    /**
     * True when the engine may forget this queue: nothing in it, nothing being admitted, no
     * connection, not frozen, no retry time ahead, and no work since {@code idleMillis} before
     * {@code nowMillis}. A destination gets a new queue when mail for it comes again.
     */
    synchronized boolean retirable(long nowMillis, long idleMillis) {
        return admitting.get() == 0 && messages.get() == 0 && deferred.get() == 0 && ready.isEmpty() && scheduled.isEmpty()
                && connections == 0 && !frozen && retryAtMillis <= nowMillis
                && nowMillis - Math.max(lastBusyMillis, lastAttemptMillis) >= idleMillis;
    }

    /** A message with an unfinished recipient here came in. */
    void holds(long sizeBytes) {
        messages.incrementAndGet();
        bytes.addAndGet(sizeBytes);
    }

    /** The last unfinished recipient here of a message finished. */
    void releases(long sizeBytes) {
        messages.decrementAndGet();
        bytes.addAndGet(-sizeBytes);
    }

    /** Live messages with an unfinished recipient in this queue. */
    public int messageCount() {
        return messages.get();
    }

    /** The content bytes of {@link #messageCount()} messages. */
    public long sizeBytes() {
        return bytes.get();
    }

    synchronized void offerReady(QueuedMessage message) {
        ready.addLast(message);
    }

    /** Puts back at the head a message taken for an attempt that never reached the next hop. */
    synchronized void returnReady(QueuedMessage message) {
        ready.addFirst(message);
    }

    synchronized void schedule(QueuedMessage message, int recipient, long dueMillis) {
        scheduled.add(new Scheduled(dueMillis, message, recipient));
    }

    /**
     * Reserves a connection if there is due mail that the open connections will not take, no
     * retry time ahead and fewer than {@code max} open. The caller must start a connection
     * that calls {@link #pollReady} with {@code first} set, and {@link #connectionClosed} at the end.
     */
    synchronized boolean openConnection(long nowMillis, int max) {
        if (frozen || ready.size() <= starting || retryAtMillis > nowMillis || connections >= max) {
            return false;
        }
        connections++;
        if (starting++ == 0) {
            startingSinceMillis = nowMillis;
        }
        if (connections >= max) {
            freeSinceMillis = Long.MAX_VALUE;
        }
        return true;
    }

    /** Gives back a connection reserved by {@link #openConnection}, whether it started or not. */
    synchronized void connectionClosed(long nowMillis, boolean neverStarted) {
        connections--;
        if (neverStarted) {
            started();
        }
        if (freeSinceMillis == Long.MAX_VALUE) {
            freeSinceMillis = nowMillis;
        }
    }

    /**
     * The next ready entry, or null when there is none or the queue has entered RETRY.
     * {@code first} is true for a connection's first call, which ends its starting phase
     * whether or not it gets an entry.
     */
    synchronized QueuedMessage pollReady(long nowMillis, boolean first) {
        if (first) {
            started();
            lastAttemptMillis = nowMillis; // a connection really starts: reservations given back unused do not count
        }
        return frozen || retryAtMillis > nowMillis ? null : ready.pollFirst();
    }

    private void started() {
        if (--starting == 0) {
            startingSinceMillis = Long.MAX_VALUE;
        }
    }

    /** Holds the queue: connections finish the message they carry and take no more. */
    synchronized void freeze() {
        frozen = true;
    }

    /** Releases the queue; it counts as free from {@code nowMillis} for the invariant check. */
    synchronized void unfreeze(long nowMillis) {
        if (frozen) {
            frozen = false;
            if (freeSinceMillis != Long.MAX_VALUE) {
                freeSinceMillis = Math.max(freeSinceMillis, nowMillis);
            }
        }
    }

    /** Ends the wait for the retry time now, for an operator's retry; the failure count stays. */
    synchronized void retryNow(long nowMillis) {
        if (retryAtMillis != 0) {
            retryEndedMillis = Math.max(retryEndedMillis, Math.min(retryAtMillis, nowMillis));
        }
        retryAtMillis = 0;
    }

    public synchronized boolean frozen() {
        return frozen;
    }

    /** Removes and returns the scheduled entries due at {@code nowMillis}. */
    synchronized List<Scheduled> pollDue(long nowMillis) {
        List<Scheduled> due = new ArrayList<>();
        while (!scheduled.isEmpty() && scheduled.peek().dueMillis <= nowMillis) {
            due.add(scheduled.poll());
        }
        return due;
    }

    /**
     * A connection-level failure: no connection is opened again before the retry time. The
     * connections that fail together while the queue is already in RETRY count once.
     *
     * @param schedule how long to wait after this many failures in a row
     */
    synchronized Retry failed(long nowMillis, RetrySchedule schedule, String error) {
        lastError = ReplyText.oneLine(error);
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

    /** A message went through: the queue leaves RETRY; returns true if it was in it (so more connections may open). */
    synchronized boolean succeeded(long nowMillis) {
        boolean wasFailing = consecutiveFailures > 0 || retryAtMillis != 0;
        if (retryAtMillis != 0) {
            retryEndedMillis = Math.max(retryEndedMillis, Math.min(retryAtMillis, nowMillis));
        }
        consecutiveFailures = 0;
        retryAtMillis = 0;
        lastError = "";
        return wasFailing;
    }

    /**
     * Since when this queue could have taken due mail on a new connection without a break:
     * not frozen, not in RETRY and fewer than {@code max} connections open. Long.MAX_VALUE when it cannot
     * now. The sweep counts a due recipient as overdue only when this is more than its grace ago.
     */
    synchronized long freeSince(long nowMillis) {
        if (frozen || retryAtMillis > nowMillis || freeSinceMillis == Long.MAX_VALUE) {
            return Long.MAX_VALUE;
        }
        long since = Math.max(freeSinceMillis, Math.max(retryAtMillis, retryEndedMillis));
        if (startingSinceMillis != Long.MAX_VALUE) {
            // A connection is on its way for the ready mail: only one that waits far too long for its thread is a fault.
            since = Math.max(since, startingSinceMillis + STARTING_GRACE_MILLIS);
        }
        return since;
    }

    /** How long a reserved connection may wait for its thread (a busy shared pool) before its mail counts as overdue. */
    static final long STARTING_GRACE_MILLIS = 10_000;

    /**
     * The time the queue's timer must fire: its earliest scheduled recipient, or its retry time
     * when ready mail waits for it; Long.MAX_VALUE when nothing waits for a time.
     */
    public synchronized long nextWake(long nowMillis) {
        long next = scheduled.isEmpty() ? Long.MAX_VALUE : scheduled.peek().dueMillis;
        if (retryAtMillis > nowMillis && !ready.isEmpty()) {
            next = Math.min(next, retryAtMillis);
        }
        return next;
    }

    /**
     * Whether the timer must be asked for {@code atMillis}: true when none is pending, the
     * pending one is past (it fired or is firing), or it is later. The caller holds
     * {@link #armLock} and asks the clock before releasing it.
     */
    synchronized boolean arm(long atMillis, long nowMillis) {
        if (atMillis == Long.MAX_VALUE || (armedAtMillis > nowMillis && armedAtMillis <= atMillis)) {
            return false;
        }
        armedAtMillis = atMillis;
        return true;
    }

    /** Forgets the pending wake-up, which has fired. */
    synchronized void disarm() {
        armedAtMillis = Long.MAX_VALUE;
    }

    /** The time of the pending wake-up, or Long.MAX_VALUE. */
    public synchronized long armedAtMillis() {
        return armedAtMillis;
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
}
