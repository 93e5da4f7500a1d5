package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.OutboxException;
import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The queue engine: accepts messages into the store, keeps one {@link TransferQueue} per next
 * hop, delivers on the adapter's threads, and applies every outcome as a recipient transition
 * persisted before it counts.
 *
 * <p>Operations: {@link #start} recovers the store (every unfinished recipient back in its
 * queue with its due time) and must finish before {@link #submit}, which returns the queue id
 * once the message is on stable storage. {@link #wake} is the retry clock's call for one
 * destination: it merges the deferred recipients whose time has come back into the ready
 * queue. {@link #sweep} does the same for every queue and counts what a lost wake-up had left
 * overdue. {@link #rearm} asks the clock again for every queue's next time. {@link #stop}
 * refuses submits, lets open connections finish their message and closes the store.
 *
 * <p>Retry: a connection that cannot be opened, breaks, times out or gets 421 puts its queue
 * into RETRY until the next time of the retry schedule, and the recipients of the message in
 * flight are deferred to that time; a 4xx for one recipient defers that recipient alone by
 * its own attempts; a 5xx bounces it. Past its expiry time, a recipient expires instead.
 *
 * <p>Threading: every method is safe from any thread. Locks: a message's monitor guards its
 * recipients and is held while their change is persisted; a transfer queue's lock is never
 * held while calling out.
 */
public final class MailQueue {

    private static final Logger LOG = Logger.getLogger(MailQueue.class.getName());

    /** How late a wake-up may be before the sweep counts the recipient it left behind as stuck. */
    static final long STUCK_GRACE_MILLIS = 2_000;

    private final Clock clock;
    private final QueueIds ids;
    private final MessageStore store;
    private final Function<String, NextHop> router;
    private final Deliverer deliverer;
    private final Executor executor;
    private final Wakeups wakeups;
    private final QueuePolicy policy;

    private final Map<NextHop, TransferQueue> queues = new ConcurrentHashMap<>();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder bounced = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder deferred = new LongAdder();
    private final LongAdder stuckRecovered = new LongAdder();
    /** Notified whenever a connection closes, for {@link #stop}. */
    private final Object connectionsLock = new Object();
    private volatile boolean accepting;
    private volatile boolean stopping;

    /**
     * @param router maps a recipient address to its next hop
     */
    public MailQueue(Clock clock, MessageStore store, Function<String, NextHop> router, Deliverer deliverer,
                     Executor executor, Wakeups wakeups, QueuePolicy policy) {
        this.clock = clock;
        this.ids = new QueueIds(clock);
        this.store = store;
        this.router = router;
        this.deliverer = deliverer;
        this.executor = executor;
        this.wakeups = wakeups;
        this.policy = policy;
    }

    /** Recovers the store and starts delivering what is due. Call once, before any submit. */
    public void start() {
        long now = clock.millis();
        List<String> finished = new ArrayList<>();
        store.recover(stored -> {
            admit(stored, now);
            if (stored.statuses().stream().allMatch(status -> status.state().isTerminal())) {
                finished.add(stored.id());
            }
        });
        for (String id : finished) {
            store.remove(id);
        }
        accepting = true;
        rearm();
        for (TransferQueue queue : queues.values()) {
            dispatch(queue);
        }
        LOG.info(() -> "Outbox queue recovered " + store.messageCount() + " messages in " + queues.size() + " transfer queues");
    }

    /**
     * Stores {@code submission} and returns its queue id once it is on stable storage.
     *
     * @throws QueueFullException when the store has no room for it
     * @throws OutboxException    when the queue is stopped or the store failed; nothing is queued
     */
    public String submit(Submission submission) throws OutboxException {
        if (!accepting) {
            throw new OutboxException(stopping ? "Outbox is stopped and accepts no messages" : "Outbox is still recovering its queue; try again shortly");
        }
        String id = ids.next();
        long now = clock.millis();
        List<RecipientStatus> statuses = Collections.nCopies(submission.envelope().recipients().size(), RecipientStatus.QUEUED);
        StoredMessage stored = new StoredMessage(id, now, now + policy.maxAge().toMillis(), submission.envelope(), statuses);
        try {
            store.add(stored, submission.content().bytes());
        } catch (StoreException e) {
            throw new OutboxException("message " + id + " not queued: " + e.getMessage(), e);
        }
        for (TransferQueue queue : admit(stored, now)) {
            dispatch(queue);
        }
        return id;
    }

    /** The retry clock's call: merges what is due in {@code destination}'s queue and delivers it. */
    public void wake(String destination) {
        for (TransferQueue queue : queues.values()) {
            if (queue.name().equals(destination)) {
                queue.disarm();
                merge(queue, clock.millis());
                dispatch(queue);
            }
        }
    }

    /**
     * Merges everything overdue in every queue and starts connections where mail waits
     * without one. Returns how many recipients a lost or late wake-up had left overdue; each
     * is logged and counted in {@link #stuckRecovered()}.
     */
    public int sweep() {
        long now = clock.millis();
        int stuck = 0;
        for (TransferQueue queue : queues.values()) {
            if (queue.retryOverdue(now, STUCK_GRACE_MILLIS)) {
                stuck += queue.readyCount();
            }
            stuck += merge(queue, now);
            if (queue.consecutiveFailures() > 0) {
                expireReady(queue, now); // a dead next hop must not keep mail past its age
            }
            dispatch(queue);
        }
        if (stuck > 0) {
            stuckRecovered.add(stuck);
            int count = stuck;
            LOG.warning(() -> "Outbox sweep found " + count + " recipients overdue by more than " + STUCK_GRACE_MILLIS
                    + " ms (a retry wake-up was lost or late) and merged them back");
        }
        return stuck;
    }

    /** Asks the clock for every queue's next due time: after start, and when a new clock attaches. */
    public void rearm() {
        long now = clock.millis();
        for (TransferQueue queue : queues.values()) {
            queue.disarm();
            arm(queue, nextTime(queue, now), now);
        }
    }

    /** Refuses submits, waits up to {@code graceMillis} for open connections to finish their message, closes the store. */
    public void stop(long graceMillis) {
        accepting = false;
        stopping = true;
        long deadline = System.nanoTime() + graceMillis * 1_000_000;
        synchronized (connectionsLock) {
            while (openConnections() > 0 && System.nanoTime() < deadline) {
                try {
                    connectionsLock.wait(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
            int open = openConnections();
            if (open > 0) {
                LOG.warning(() -> "Outbox stopping with " + open + " connections still open; their messages are delivered again after restart");
            }
        }
        store.close();
    }

    private int openConnections() {
        int open = 0;
        for (TransferQueue queue : queues.values()) {
            open += queue.activeConnections();
        }
        return open;
    }

    public Map<NextHop, TransferQueue> queues() {
        return Collections.unmodifiableMap(queues);
    }

    public int messageCount() {
        return store.messageCount(); // the store's index is the one index of messages: no second map
    }

    public long deliveredCount() {
        return delivered.sum();
    }

    public long bouncedCount() {
        return bounced.sum();
    }

    public long expiredCount() {
        return expired.sum();
    }

    public long deferredCount() {
        return deferred.sum();
    }

    public long stuckRecovered() {
        return stuckRecovered.sum();
    }

    /**
     * Indexes a stored message and puts each unfinished recipient where its state says; returns
     * the queues it is now ready in.
     */
    private Set<TransferQueue> admit(StoredMessage stored, long now) {
        List<String> recipients = stored.envelope().recipients();
        TransferQueue[] routed = new TransferQueue[recipients.size()];
        for (int i = 0; i < routed.length; i++) {
            routed[i] = queues.computeIfAbsent(router.apply(recipients.get(i)), TransferQueue::new);
        }
        QueuedMessage message = new QueuedMessage(stored, routed);
        Set<TransferQueue> ready = new LinkedHashSet<>();
        synchronized (message) {
            for (int i = 0; i < routed.length; i++) {
                RecipientState state = message.state(i);
                if (state == RecipientState.DEFERRED && message.due(i) <= now) {
                    message.merge(i);
                    state = RecipientState.QUEUED;
                }
                if (state == RecipientState.QUEUED) {
                    ready.add(routed[i]);
                } else if (state == RecipientState.DEFERRED) {
                    routed[i].schedule(message, message.due(i));
                }
            }
        }
        for (TransferQueue queue : ready) {
            queue.offerReady(message);
        }
        return ready;
    }

    private void dispatch(TransferQueue queue) {
        while (!stopping && queue.openConnection(clock.millis(), policy.connectionsPerDestination())) {
            try {
                executor.execute(() -> deliverAll(queue));
            } catch (RejectedExecutionException e) {
                connectionClosed(queue);
                LOG.warning(() -> "Outbox could not get a delivery thread for " + queue.name() + " (" + e.getMessage()
                        + "); the sweep tries again");
                return;
            }
        }
    }

    /** One connection's life: carries ready messages until none is left, the limit is reached or it breaks. */
    private void deliverAll(TransferQueue queue) {
        try (Deliverer.Connection connection = deliverer.connect(queue.nextHop())) {
            for (int sent = 0; sent < policy.messagesPerConnection() && !stopping; sent++) {
                QueuedMessage message = queue.pollReady(clock.millis());
                if (message == null) {
                    break;
                }
                if (!deliver(queue, connection, message)) {
                    break;
                }
            }
        } catch (Deliverer.ConnectFailedException e) {
            enterRetry(queue, e.getMessage());
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "Outbox delivery to " + queue.name() + " failed unexpectedly", e);
            enterRetry(queue, "internal error: " + e);
        } finally {
            connectionClosed(queue);
            dispatch(queue); // mail that arrived meanwhile, or the rest of a long queue
        }
    }

    /** Sends one message's due recipients on {@code connection}; false when the connection broke. */
    private boolean deliver(TransferQueue queue, Deliverer.Connection connection, QueuedMessage message) {
        long now = clock.millis();
        int[] recipients = takeInFlight(queue, message, now);
        if (recipients.length == 0) {
            return true; // a stale entry: delivered, deferred or expired meanwhile
        }
        List<String> addresses = new ArrayList<>(recipients.length);
        for (int recipient : recipients) {
            addresses.add(message.envelope().recipients().get(recipient));
        }
        List<RecipientOutcome> outcomes;
        try {
            // The message's own envelope when every recipient goes (the usual case): no second check of its addresses.
            Envelope envelope = addresses.size() == message.recipientCount()
                    ? message.envelope() : Envelope.of(message.envelope().reversePath(), addresses);
            outcomes = connection.send(envelope, store.content(message.id()));
        } catch (IOException | RuntimeException e) {
            // Whatever went wrong, the recipients taken in flight must come out of it deferred.
            LOG.log(Level.SEVERE, "Outbox could not send message " + message.id() + "; it is deferred", e);
            outcomes = RecipientOutcome.all(addresses, RecipientOutcome.Status.DEFERRED, 0, "not sent: " + e);
        }
        boolean broken = connection.isBroken();
        long retryAt = broken ? enterRetry(queue, outcomes.get(0).reply()) : 0;
        if (!broken) {
            queue.succeeded();
        }
        apply(queue, message, recipients, outcomes, clock.millis(), retryAt);
        return !broken;
    }

    private int[] takeInFlight(TransferQueue queue, QueuedMessage message, long now) {
        List<RecipientChange> expiries = new ArrayList<>();
        int[] taken = new int[message.recipientCount()];
        int count = 0;
        synchronized (message) {
            for (int i = 0; i < message.recipientCount(); i++) {
                if (message.queue(i) != queue || message.state(i) != RecipientState.QUEUED) {
                    continue;
                }
                if (now >= message.expiryMillis()) {
                    expire(message, i, expiries);
                } else {
                    message.takeInFlight(i);
                    taken[count++] = i;
                }
            }
            persist(message, expiries);
        }
        return Arrays.copyOf(taken, count);
    }

    /**
     * Applies one attempt's outcomes as transitions and persists them together. A deferred
     * recipient is due at {@code retryAtMillis} when its connection failed, else after its own
     * next wait.
     */
    private void apply(TransferQueue queue, QueuedMessage message, int[] recipients, List<RecipientOutcome> outcomes,
                       long now, long retryAtMillis) {
        List<RecipientChange> changes = new ArrayList<>(recipients.length);
        long earliestDue = Long.MAX_VALUE;
        synchronized (message) {
            for (int k = 0; k < recipients.length; k++) {
                int i = recipients[k];
                RecipientOutcome outcome = outcomes.get(k);
                switch (outcome.status()) {
                    case DELIVERED -> {
                        changes.add(message.deliver(i));
                        delivered.increment();
                    }
                    case FAILED -> {
                        changes.add(message.bounce(i));
                        bounced.increment();
                        LOG.warning(() -> "message " + message.id() + " bounced for " + outcome.recipient() + " at " + queue.name()
                                + ": " + outcome.replyCode() + " " + outcome.reply());
                    }
                    case DEFERRED -> {
                        long due = retryAtMillis > 0 ? retryAtMillis : now + policy.retrySchedule().after(message.attempts(i) + 1).toMillis();
                        if (due >= message.expiryMillis()) {
                            expire(message, i, changes);
                            LOG.warning(() -> "message " + message.id() + " expired for " + outcome.recipient() + ": " + outcome.reply());
                        } else {
                            changes.add(message.defer(i, due));
                            deferred.increment();
                            earliestDue = Math.min(earliestDue, due);
                        }
                    }
                }
            }
            persist(message, changes);
        }
        if (earliestDue != Long.MAX_VALUE) {
            queue.schedule(message, earliestDue);
            arm(queue, earliestDue, now);
        }
    }

    /**
     * Merges the deferred recipients of {@code queue} whose time has come into its ready queue,
     * expires those past their message's expiry, and asks for the next wake-up. Returns how many
     * were overdue by more than the grace period.
     */
    private int merge(TransferQueue queue, long now) {
        int overdue = 0;
        for (QueuedMessage message : queue.pollDue(now)) {
            boolean ready = false;
            List<RecipientChange> expiries = new ArrayList<>();
            synchronized (message) {
                for (int i = 0; i < message.recipientCount(); i++) {
                    if (message.queue(i) != queue || message.state(i) != RecipientState.DEFERRED || message.due(i) > now) {
                        continue;
                    }
                    if (message.due(i) < now - STUCK_GRACE_MILLIS) {
                        overdue++;
                    }
                    if (now >= message.expiryMillis()) {
                        expire(message, i, expiries);
                    } else {
                        message.merge(i);
                        ready = true;
                    }
                }
                persist(message, expiries);
            }
            if (ready) {
                queue.offerReady(message);
            }
        }
        arm(queue, nextTime(queue, now), now);
        return overdue;
    }

    /** Expires recipient {@code i} of {@code message} (whose monitor the caller holds), counts it, and adds the change to {@code changes}. */
    private void expire(QueuedMessage message, int i, List<RecipientChange> changes) {
        changes.add(message.expire(i));
        expired.increment();
    }

    /** Persists {@code changes} of {@code message} (whose monitor the caller holds) and lets a finished message go. */
    private void persist(QueuedMessage message, List<RecipientChange> changes) {
        if (changes.isEmpty()) {
            return;
        }
        try {
            if (message.isFinished()) {
                store.remove(message.id()); // one durable write: the final statuses would go with the message
            } else {
                store.update(message.id(), changes);
            }
        } catch (StoreException e) {
            // The attempt happened; after a restart its recipients are simply tried again.
            LOG.log(Level.SEVERE, "Outbox could not record the outcome for message " + message.id(), e);
        }
    }

    private long enterRetry(TransferQueue queue, String reason) {
        long now = clock.millis();
        TransferQueue.Retry retry = queue.failed(now, policy.retrySchedule(), reason);
        long retryAt = retry.atMillis();
        if (!retry.entered()) {
            return retryAt; // already in RETRY: another connection failed with it
        }
        LOG.info(() -> "Outbox queue " + queue.name() + " entered RETRY until " + Instant.ofEpochMilli(retryAt) + ": " + reason);
        arm(queue, retryAt, now);
        return retryAt;
    }

    /** Expires the ready recipients of {@code queue} whose message is past its age. */
    private void expireReady(TransferQueue queue, long now) {
        for (QueuedMessage message : queue.readySnapshot()) {
            if (now < message.expiryMillis()) {
                continue;
            }
            List<RecipientChange> expiries = new ArrayList<>();
            synchronized (message) {
                for (int i = 0; i < message.recipientCount(); i++) {
                    if (message.queue(i) == queue && message.state(i) == RecipientState.QUEUED) {
                        expire(message, i, expiries);
                    }
                }
                persist(message, expiries);
            }
            if (!expiries.isEmpty()) {
                LOG.warning(() -> "message " + message.id() + " expired undelivered at " + queue.name() + ": " + queue.lastError());
            }
        }
    }

    private static long nextTime(TransferQueue queue, long now) {
        long retryAt = queue.retryAtMillis();
        return Math.min(queue.nextDueMillis(), retryAt > now ? retryAt : Long.MAX_VALUE);
    }

    private void arm(TransferQueue queue, long atMillis, long now) {
        if (atMillis != Long.MAX_VALUE && queue.arm(atMillis, now)) {
            wakeups.wakeAt(queue.name(), Instant.ofEpochMilli(atMillis));
        }
    }

    private void connectionClosed(TransferQueue queue) {
        queue.connectionClosed();
        synchronized (connectionsLock) {
            connectionsLock.notifyAll();
        }
    }

}
