package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreException;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one place where recipients change state: every transition (admit, take in flight,
 * deliver, bounce, defer, expire, merge, requeue, and the sweep's repairs) is checked here,
 * applied to the message, persisted before it counts, placed in the transfer queue's structure
 * that indexes it (ready or scheduled), counted, logged where an operator cares, and told to
 * the {@link Transition.Listener}s.
 *
 * <p>It also keeps the list of live messages (every message with a recipient that is not
 * final), which is what the sweep walks: {@link #overdue} checks each recipient's own clock
 * against DESIGN.md's invariant without trusting the ready and scheduled structures, and
 * {@link #repair} puts a violation right and counts it once.
 *
 * <p>Operations: {@link #admit} a stored message; {@link #take} its due recipients for an
 * {@link Attempt}, then exactly one of {@link #apply} (the outcomes) or {@link #requeue} (the
 * attempt never reached the next hop) for that attempt; {@link #merge} a queue's deferred
 * recipients whose time has come; {@link #expireDue}, {@link #overdue} and {@link #repair}
 * for the sweep; {@link #recordAgain} retries store writes that failed; {@link #operate} is an
 * operator's freeze, unfreeze, delete or retry-now, kept as an intent for a recipient in flight
 * and applied when its attempt ends (a delivered recipient stays delivered).
 *
 * <p>Threading: safe from any thread. A message's monitor guards its recipients and is held
 * while their change is persisted, placed (transfer queues' locks are leaves, taken inside it)
 * and told to listeners, so they see one message's transitions in order. Misuse: a transition
 * from a state that does not allow it throws {@link IllegalStateException} naming the state.
 */
public final class RecipientLedger {

    private static final Logger LOG = Logger.getLogger(RecipientLedger.class.getName());

    private final MessageStore store;
    private final RetrySchedule retrySchedule;
    private final List<Transition.Listener> listeners = new CopyOnWriteArrayList<>();

    private final LongAdder delivered = new LongAdder();
    private final LongAdder bounced = new LongAdder();
    private final LongAdder expired = new LongAdder();
    private final LongAdder deferred = new LongAdder();
    private final LongAdder deleted = new LongAdder();
    /** Recipients of live messages in each state now, kept by every transition so reading it costs nothing. */
    private final LongAdder[] inState = new LongAdder[RecipientState.values().length];

    {
        for (int i = 0; i < inState.length; i++) {
            inState[i] = new LongAdder();
        }
    }
    private final LongAdder stuckRecovered = new LongAdder();
    private final LongAdder unrecordedWrites = new LongAdder();

    /** Messages whose last store write failed: memory is ahead of the disk until {@link #recordAgain} succeeds. */
    private final Set<QueuedMessage> unrecorded = ConcurrentHashMap.newKeySet();

    /** The notices owed to senders; none until {@link #notifySenders} is called. */
    private SenderNotices notices;
    /** Lets a durably queued notice out for delivery (the engine admits it). */
    private Consumer<Stored> letOut = stored -> { };
    /** Messages owing a notice the store would not take yet: tried again by {@link #retryNotices}. */
    private final Set<QueuedMessage> owing = ConcurrentHashMap.newKeySet();
    /** Notices queued whose original's cleared marks are not on disk yet: let out once {@link #recordAgain} writes them. */
    private final Map<QueuedMessage, List<Stored>> heldNotices = new ConcurrentHashMap<>();

    private final Object liveLock = new Object();
    private QueuedMessage oldest;
    private QueuedMessage newest;
    private int liveCount;
    /** The newest live message the delay-notice walk has looked at, or null when it starts from the oldest. */
    private QueuedMessage delayCursor;
    /** Messages whose delay notice the store refused: tried again before the walk goes on. */
    private final Set<QueuedMessage> delayRefused = ConcurrentHashMap.newKeySet();

    RecipientLedger(MessageStore store, RetrySchedule retrySchedule) {
        this.store = store;
        this.retrySchedule = retrySchedule;
        this.notices = SenderNotices.none(store, java.time.Clock.systemUTC());
    }

    /** Sends {@code notices}, each let out through {@code letOut} once it is durable. Before the first admit. */
    void notifySenders(SenderNotices notices, Consumer<Stored> letOut) {
        this.notices = notices;
        this.letOut = letOut;
    }

    /** Adds a listener told every later transition. */
    public void listen(Transition.Listener listener) {
        listeners.add(listener);
    }

    /** A recipient the sweep found overdue, in the state and with the time it was found with (for IN_FLIGHT, its attempt's deadline). */
    record Overdue(QueuedMessage message, int recipient, RecipientState state, long time) {
        TransferQueue queue() {
            return message.queue(recipient);
        }
    }

    /**
     * Takes a stored message into the queue at {@code now}: due recipients into their queue's
     * ready queue (deferred ones whose time has passed merged first), deferred ones into its
     * scheduled queue. Returns the queues it is now ready in, or null when the message has no
     * unfinished recipient (the caller removes it from the store with its entry).
     */
    Set<TransferQueue> admit(Stored stored, TransferQueue[] routed, long now) {
        QueuedMessage message = new QueuedMessage(stored.message(), stored.entry(), routed, now);
        if (message.owesNotice() && !notices.owedFor(message)) {
            // Marked on disk, but no notice can go (a null reverse path, or notices off): it would be owed for ever.
            for (int i = 0; i < message.recipientCount(); i++) {
                if (message.owes(i)) {
                    message.paid(i);
                    notices.withhold(message, i);
                }
            }
        }
        if (message.isFinished() && !message.owesNotice()) {
            return null;
        }
        long size = message.contentLength();
        // The queues it is ready in, each once: an array, not a set a message (recovery admits a million).
        TransferQueue[] ready = new TransferQueue[routed.length];
        int readyCount = 0;
        synchronized (message) {
            // Linked under its lock (message, then live list, as unlink): an operator who finds it waits until it is counted.
            link(message); // before a connection can see it, so that finishing it always unlinks it
            for (int i = 0; i < routed.length; i++) {
                if (firstUnfinishedIn(message, routed[i]) == i) {
                    routed[i].holds(size); // once a queue; the last of them to finish releases it (note)
                }
            }
            for (int i = 0; i < routed.length; i++) {
                RecipientState state = message.state(i);
                if (state == RecipientState.DEFERRED && message.due(i) <= now) {
                    message.merge(i, now);
                    state = RecipientState.QUEUED;
                }
                if (state == RecipientState.QUEUED) {
                    if (!holds(ready, readyCount, routed[i])) {
                        ready[readyCount++] = routed[i];
                    }
                } else if (state == RecipientState.DEFERRED) {
                    routed[i].schedule(message, i, message.due(i));
                }
            }
            for (int i = 0; i < routed.length; i++) {
                inState[message.state(i).ordinal()].increment(); // before any connection can take it: under its lock
                if (message.state(i) == RecipientState.DEFERRED) {
                    routed[i].deferred(1);
                }
            }
            for (int q = 0; q < readyCount; q++) {
                ready[q].offerReady(message);
            }
            if (message.owesNotice()) {
                owing.add(message); // recovered with a notice owed: reconciled before anything is delivered
            }
        }
        return readyCount == 0 ? Set.of() : readyCount == 1 ? Set.of(ready[0])
                : new LinkedHashSet<>(Arrays.asList(ready).subList(0, readyCount));
    }

    /** True when {@code queues[0..count)} has {@code queue}. */
    private static boolean holds(TransferQueue[] queues, int count, TransferQueue queue) {
        for (int q = 0; q < count; q++) {
            if (queues[q] == queue) {
                return true;
            }
        }
        return false;
    }

    /**
     * Takes the recipients of {@code message} that are due in {@code queue} in flight for an
     * attempt ending by {@code deadlineMillis}; those past the message's expiry expire instead.
     * Returns null when none was due (a stale ready entry).
     */
    Attempt take(TransferQueue queue, QueuedMessage message, long now, long deadlineMillis) {
        List<Transition> told = new ArrayList<>();
        int[] taken = new int[message.recipientCount()];
        int count = 0;
        synchronized (message) {
            List<RecipientChange> changes = new ArrayList<>();
            for (int i = 0; i < message.recipientCount(); i++) {
                if (message.queue(i) != queue || message.state(i) != RecipientState.QUEUED) {
                    continue;
                }
                if (now >= message.expiryMillis()) {
                    expire(message, i, changes, told, now, "not delivered before the message expired");
                } else {
                    message.takeInFlight(i, deadlineMillis);
                    taken[count++] = i;
                    note(told, message, i, RecipientState.QUEUED, RecipientState.IN_FLIGHT, 0, "", now);
                }
            }
            persist(message, changes);
            tell(told); // under the lock: listeners see each message's transitions in order
        }
        return count == 0 ? null : new Attempt(queue, message, Arrays.copyOf(taken, count), deadlineMillis);
    }

    /**
     * Applies the outcomes of {@code attempt}, one per recipient in the attempt's order, as
     * transitions persisted together. A deferred recipient is due at {@code retryAtMillis} when
     * the connection failed (non-zero), else after its own next wait; past the message's expiry
     * it expires instead. Recipients no longer in this attempt (the sweep repaired it) are left
     * as they are. The caller then arms the queue's timer.
     */
    void apply(Attempt attempt, List<RecipientOutcome> outcomes, long now, long retryAtMillis) {
        apply(attempt, outcomes, now, retryAtMillis, "");
    }

    /** As {@link #apply(Attempt, List, long, long)}, the replies having come from {@code remoteHost} ("" when none did). */
    void apply(Attempt attempt, List<RecipientOutcome> outcomes, long now, long retryAtMillis, String remoteHost) {
        QueuedMessage message = attempt.message();
        TransferQueue queue = attempt.queue();
        List<Transition> told = new ArrayList<>();
        synchronized (message) {
            List<RecipientChange> changes = new ArrayList<>(outcomes.size());
            for (int k = 0; k < attempt.recipients().length; k++) {
                int i = attempt.recipients()[k];
                RecipientOutcome outcome = outcomes.get(k);
                if (!message.inFlightUntil(i, attempt.deadlineMillis())) {
                    RecipientState current = message.state(i);
                    if ((current == RecipientState.QUEUED || current == RecipientState.FROZEN)
                            && outcome.status() != RecipientOutcome.Status.DEFERRED) {
                        // The sweep gave this attempt up, but its final answer came before anyone tried again
                        // (an operator may have frozen it meanwhile): keep it, or the recipient would be sent twice.
                        message.reclaim(i, attempt.deadlineMillis());
                        note(told, message, i, current, RecipientState.IN_FLIGHT, 0, "", now);
                    } else {
                        LOG.warning(() -> "outcome " + outcome.status() + " for " + outcome.recipient() + " of message " + message.id()
                                + " arrived after its attempt was repaired; the recipient stays " + message.state(i));
                        continue;
                    }
                }
                switch (outcome.status()) {
                    case DELIVERED -> {
                        changes.add(message.deliver(i));
                        delivered.increment();
                        note(told, message, i, RecipientState.IN_FLIGHT, RecipientState.DELIVERED, outcome.replyCode(), outcome.reply(), now);
                    }
                    case FAILED -> {
                        message.heard(i, new QueuedMessage.Heard(outcome.replyCode(), outcome.reply(), remoteHost, now));
                        changes.add(message.bounce(i));
                        owe(message, i);
                        bounced.increment();
                        note(told, message, i, RecipientState.IN_FLIGHT, RecipientState.BOUNCED, outcome.replyCode(), outcome.reply(), now);
                        LOG.warning(() -> "message " + message.id() + " bounced for " + outcome.recipient() + " at " + queue.name()
                                + ": " + outcome.reply());
                    }
                    case DEFERRED -> {
                        message.heard(i, new QueuedMessage.Heard(outcome.replyCode(), outcome.reply(), remoteHost, now));
                        long due = retryAtMillis > 0 ? retryAtMillis : now + retrySchedule.after(message.attempts(i) + 1).toMillis();
                        if (message.intent(i) != QueuedMessage.Intent.NONE) {
                            fulfil(message, i, changes, told, now);
                        } else if (due >= message.expiryMillis()) {
                            expire(message, i, changes, told, now, outcome.reply()); // a reply starts with its code already
                        } else {
                            changes.add(message.defer(i, due));
                            deferred.increment();
                            queue.schedule(message, i, due);
                            note(told, message, i, RecipientState.IN_FLIGHT, RecipientState.DEFERRED, outcome.replyCode(), outcome.reply(), now);
                        }
                    }
                }
            }
            persist(message, changes);
            tell(told); // under the lock: listeners see each message's transitions in order
        }
    }

    /**
     * Puts the recipients of an attempt that never reached the next hop back as due, without
     * counting an attempt: for a connection that was never used (the adapter stopping) or an
     * internal failure before anything was sent.
     */
    void requeue(Attempt attempt, long now) {
        QueuedMessage message = attempt.message();
        List<Transition> told = new ArrayList<>();
        synchronized (message) {
            boolean any = false;
            List<RecipientChange> changes = new ArrayList<>();
            for (int i : attempt.recipients()) {
                if (!message.inFlightUntil(i, attempt.deadlineMillis())) {
                    continue;
                }
                if (message.intent(i) != QueuedMessage.Intent.NONE) {
                    fulfil(message, i, changes, told, now);
                } else {
                    message.requeue(i, now);
                    any = true;
                    note(told, message, i, RecipientState.IN_FLIGHT, RecipientState.QUEUED, 0, "", now);
                }
            }
            persist(message, changes);
            if (any) {
                attempt.queue().returnReady(message); // first again: it had waited its turn already
            }
            tell(told); // under the lock: listeners see each message's transitions in order
        }
    }

    /**
     * Merges the deferred recipients of {@code queue} whose time has come into its ready queue
     * (past the message's expiry they expire instead). All due recipients of one message are
     * merged under one hold of its lock and offered once, so a connection can never take the
     * message between two of them and leave the second without a ready entry. Returns how many
     * merged or expired.
     */
    int merge(TransferQueue queue, long now) {
        Map<QueuedMessage, List<Integer>> due = new LinkedHashMap<>();
        for (TransferQueue.Scheduled entry : queue.pollDue(now)) {
            due.computeIfAbsent(entry.message(), m -> new ArrayList<>(1)).add(entry.recipient());
        }
        int merged = 0;
        for (Map.Entry<QueuedMessage, List<Integer>> entry : due.entrySet()) {
            QueuedMessage message = entry.getKey();
            List<Transition> told = new ArrayList<>();
            synchronized (message) {
                List<RecipientChange> changes = new ArrayList<>(1);
                boolean ready = false;
                for (int i : entry.getValue()) {
                    // A stale entry (merged by the sweep, or deferred again to a later time with an entry of its own) is skipped.
                    if (message.state(i) != RecipientState.DEFERRED || message.due(i) > now) {
                        continue;
                    }
                    if (now >= message.expiryMillis()) {
                        expire(message, i, changes, told, now, "not delivered before the message expired");
                    } else {
                        message.merge(i, now);
                        note(told, message, i, RecipientState.DEFERRED, RecipientState.QUEUED, 0, "", now);
                        ready = true;
                    }
                    merged++;
                }
                persist(message, changes);
                if (ready) {
                    queue.offerReady(message);
                }
                tell(told); // under the lock: listeners see each message's transitions in order
            }
        }
        return merged;
    }

    /** What an operator can do to a message's recipients (see {@link #operate}). */
    enum Operation {
        /** Hold: QUEUED or DEFERRED become FROZEN; one in flight becomes FROZEN when its attempt ends undelivered. */
        FREEZE,
        /** Release: FROZEN become QUEUED (due now); a freeze asked for one in flight is withdrawn. */
        UNFREEZE,
        /** Remove: any unfinished recipient becomes DELETED; one in flight when its attempt ends undelivered. */
        DELETE,
        /** Try now: DEFERRED become QUEUED (due now). FROZEN stay frozen. */
        RETRY_NOW
    }

    /**
     * Applies an operator's {@code operation} to the unfinished recipients of {@code message}
     * in {@code onlyIn} (in every queue when null), persisted before it returns. A recipient in
     * flight is not touched: the intent is kept and applied when its attempt ends, so a
     * delivered recipient stays delivered. Returns how many recipients it changed or marked.
     */
    int operate(QueuedMessage message, TransferQueue onlyIn, Operation operation, long now) {
        return operate(message, onlyIn, operation, false, now);
    }

    /** As {@link #operate(QueuedMessage, TransferQueue, Operation, long)}; a DELETE {@code withNotice} owes the sender a bounce. */
    int operate(QueuedMessage message, TransferQueue onlyIn, Operation operation, boolean withNotice, long now) {
        int count = 0;
        List<Transition> told = new ArrayList<>();
        synchronized (message) {
            List<RecipientChange> changes = new ArrayList<>();
            Set<TransferQueue> ready = new LinkedHashSet<>();
            for (int i = 0; i < message.recipientCount(); i++) {
                TransferQueue queue = message.queue(i);
                RecipientState state = message.state(i);
                if ((onlyIn != null && queue != onlyIn) || state.isTerminal()) {
                    continue;
                }
                boolean changed = true;
                switch (operation) {
                    case FREEZE -> {
                        if (state == RecipientState.IN_FLIGHT) {
                            message.intend(i, QueuedMessage.Intent.FREEZE);
                            changes.add(stored(message, i, RecipientState.FROZEN)); // holds across a crash mid-attempt
                        } else if (state == RecipientState.FROZEN) {
                            changed = false;
                        } else {
                            changes.add(message.freeze(i));
                            note(told, message, i, state, RecipientState.FROZEN, 0, "frozen by an operator", now);
                        }
                    }
                    case UNFREEZE -> {
                        if (state == RecipientState.IN_FLIGHT && message.intent(i) == QueuedMessage.Intent.FREEZE) {
                            message.intend(i, QueuedMessage.Intent.NONE);
                            changes.add(stored(message, i, RecipientState.QUEUED));
                        } else if (state == RecipientState.FROZEN) {
                            changes.add(message.unfreeze(i, now));
                            ready.add(queue);
                            note(told, message, i, state, RecipientState.QUEUED, 0, "unfrozen by an operator", now);
                        } else {
                            changed = false;
                        }
                    }
                    case DELETE -> {
                        if (state == RecipientState.IN_FLIGHT) {
                            // A crash mid-attempt does not send it again; its notice is owed only once the attempt ends
                            // undelivered, so a recipient the attempt did reach is never reported failed.
                            message.intend(i, withNotice ? QueuedMessage.Intent.DELETE_WITH_NOTICE : QueuedMessage.Intent.DELETE);
                            changes.add(stored(message, i, RecipientState.DELETED));
                        } else {
                            changes.add(message.delete(i));
                            if (withNotice) {
                                owe(message, i);
                            }
                            deleted.increment();
                            note(told, message, i, state, RecipientState.DELETED, 0, "deleted by an operator", now);
                        }
                    }
                    case RETRY_NOW -> {
                        if (state == RecipientState.DEFERRED) {
                            message.merge(i, now);
                            ready.add(queue);
                            note(told, message, i, state, RecipientState.QUEUED, 0, "retried now by an operator", now);
                        } else {
                            changed = false;
                        }
                    }
                }
                if (changed) {
                    count++;
                }
            }
            persist(message, changes);
            for (TransferQueue queue : ready) {
                queue.offerReady(message);
            }
            tell(told);
        }
        return count;
    }

    /**
     * The live messages, oldest first, with an unfinished recipient in {@code onlyIn} (any queue
     * when null) that pass {@code filter}, from the {@code offset}th such, at most {@code limit}:
     * one walk under the live list's lock that stops once the page is full. It reads recipient
     * states without the messages' locks (taking them under the list's lock would invert their
     * order), so a message may finish between the walk and the caller's read of it: close enough
     * for an operator's page. {@code filter} must only read what never changes (id, envelope).
     */
    List<QueuedMessage> page(TransferQueue onlyIn, java.util.function.Predicate<QueuedMessage> filter, int offset, int limit) {
        List<QueuedMessage> page = new ArrayList<>(Math.min(limit, 1024));
        int skipped = 0;
        synchronized (liveLock) {
            for (QueuedMessage m = oldest; m != null && page.size() < limit; m = m.newer) {
                if ((onlyIn == null || firstUnfinishedIn(m, onlyIn) >= 0) && filter.test(m) && skipped++ >= offset) {
                    page.add(m);
                }
            }
        }
        return page;
    }

    /** True when {@code message} has an unfinished recipient in {@code queue} now. */
    boolean hasUnfinishedIn(QueuedMessage message, TransferQueue queue) {
        synchronized (message) {
            return firstUnfinishedIn(message, queue) >= 0;
        }
    }

    /** The live messages with an unfinished recipient in {@code queue}, oldest first. Walks the live list: for operators' calls. */
    List<QueuedMessage> messagesIn(TransferQueue queue) {
        List<QueuedMessage> found = new ArrayList<>();
        for (QueuedMessage message : liveMessages()) {
            if (hasUnfinishedIn(message, queue)) {
                found.add(message);
            }
        }
        return found;
    }

    /**
     * The submit time of the oldest live message with an unfinished recipient in {@code queue},
     * or 0: walks from the oldest and stops at the first. Reads states without the messages'
     * locks (taking one under the live list's lock would invert their order), which is close
     * enough for a figure.
     */
    long oldestSubmitMillisIn(TransferQueue queue) {
        synchronized (liveLock) {
            for (QueuedMessage m = oldest; m != null; m = m.newer) {
                if (firstUnfinishedIn(m, queue) >= 0) {
                    return m.submitMillis();
                }
            }
            return 0;
        }
    }

    /** The index of {@code message}'s first recipient in {@code queue} that is not in a terminal state, or -1. */
    private static int firstUnfinishedIn(QueuedMessage message, TransferQueue queue) {
        for (int i = 0; i < message.recipientCount(); i++) {
            if (message.queue(i) == queue && !message.state(i).isTerminal()) {
                return i;
            }
        }
        return -1;
    }

    /** What the store keeps for a recipient in flight that an operator marked: the state its intent leads to. */
    private static RecipientChange stored(QueuedMessage message, int i, RecipientState state) {
        return new RecipientChange(i, new RecipientStatus(state, 0, message.attempts(i)));
    }

    /** The live message with queue id {@code id}, or null. Walks the live list: for operators' calls, not for delivery. */
    QueuedMessage find(String id) {
        if (id == null) {
            return null; // no message has it (an operator's console sends null for an empty field)
        }
        QueuedMessage.IdKey key = QueuedMessage.IdKey.of(id);
        synchronized (liveLock) {
            for (QueuedMessage m = oldest; m != null; m = m.newer) {
                if (m.hasId(key)) {
                    return m;
                }
            }
            return null;
        }
    }

    /** Applies the operator's intent for recipient {@code i}, in flight and not delivered: FROZEN or DELETED. */
    private void fulfil(QueuedMessage message, int i, List<RecipientChange> changes, List<Transition> told, long now) {
        if (message.intent(i) == QueuedMessage.Intent.FREEZE) {
            changes.add(message.freeze(i));
            note(told, message, i, RecipientState.IN_FLIGHT, RecipientState.FROZEN, 0, "frozen by an operator", now);
        } else {
            boolean withNotice = message.intent(i) == QueuedMessage.Intent.DELETE_WITH_NOTICE;
            changes.add(message.delete(i));
            if (withNotice) {
                owe(message, i);
            }
            deleted.increment();
            note(told, message, i, RecipientState.IN_FLIGHT, RecipientState.DELETED, 0, "deleted by an operator", now);
        }
    }

    /** Expires every recipient that is due or deferred and past its message's expiry, whatever its queue's state. Returns how many. */
    int expireDue(long now) {
        int count = 0;
        for (QueuedMessage message : liveMessages()) {
            if (now < message.expiryMillis()) {
                continue;
            }
            List<Transition> told = new ArrayList<>();
            synchronized (message) {
                List<RecipientChange> changes = new ArrayList<>();
                for (int i = 0; i < message.recipientCount(); i++) {
                    RecipientState state = message.state(i);
                    if (state == RecipientState.QUEUED || state == RecipientState.DEFERRED) {
                        String reason = message.queue(i).lastError();
                        expire(message, i, changes, told, now, reason.isEmpty() ? "not delivered before the message expired" : reason);
                        count++;
                    }
                }
                persist(message, changes);
                tell(told); // under the lock: listeners see each message's transitions in order
            }
        }
        return count;
    }

    /**
     * The recipients that break the invariant at {@code now}: due (QUEUED, or DEFERRED past its
     * time) since more than {@code graceMillis} while their queue could take them
     * ({@code freeSince} of the queue more than the grace ago), or IN_FLIGHT past their
     * attempt's deadline by more than the grace. Reads each recipient's own clock; trusts no
     * ready or scheduled structure.
     */
    List<Overdue> overdue(long now, long graceMillis, ToLongFunction<TransferQueue> freeSince) {
        List<Overdue> found = new ArrayList<>();
        long limit = now - graceMillis;
        for (QueuedMessage message : liveMessages()) {
            synchronized (message) {
                for (int i = 0; i < message.recipientCount(); i++) {
                    RecipientState state = message.state(i);
                    long since = switch (state) {
                        case QUEUED, DEFERRED -> Math.max(message.due(i), freeSince.applyAsLong(message.queue(i)));
                        case IN_FLIGHT -> message.due(i);
                        default -> Long.MAX_VALUE;
                    };
                    if (since < limit) {
                        found.add(new Overdue(message, i, state, message.due(i)));
                    }
                }
            }
        }
        return found;
    }

    /**
     * Puts one overdue recipient right, if it is still in the state it was found in: a deferred
     * one is merged, a due one offered to its queue again, one in flight requeued (the caller
     * has closed its attempt's connection first, so the repair cannot send twice). Counts it in
     * {@link #stuckRecovered()} and returns true if it was repaired.
     */
    boolean repair(Overdue overdue, long now) {
        QueuedMessage message = overdue.message();
        int i = overdue.recipient();
        List<Transition> told = new ArrayList<>();
        synchronized (message) {
            if (message.state(i) != overdue.state() || message.due(i) != overdue.time()) {
                return false; // it moved on by itself meanwhile
            }
            if (overdue.state() == RecipientState.IN_FLIGHT && message.intent(i) != QueuedMessage.Intent.NONE) {
                List<RecipientChange> changes = new ArrayList<>(1);
                fulfil(message, i, changes, told, now); // what the operator asked for, now that the attempt is given up
                persist(message, changes);
            } else {
                switch (overdue.state()) {
                    case DEFERRED -> message.merge(i, now);
                    case IN_FLIGHT -> message.requeue(i, now);
                    case QUEUED -> message.resetDue(i, now);
                    default -> throw new IllegalStateException("cannot repair recipient " + i + " of message " + message.id()
                            + ": it is " + overdue.state());
                }
                overdue.queue().offerReady(message);
                note(told, message, i, overdue.state(), RecipientState.QUEUED, 0, "repaired by the sweep", now);
            }
            tell(told); // under the lock: listeners see each message's transitions in order
        }
        stuckRecovered.increment();
        return true;
    }

    /** Writes again every message whose store write failed; returns how many are still not recorded. */
    int recordAgain() {
        for (QueuedMessage message : unrecorded) {
            synchronized (message) {
                try {
                    List<Integer> all = new ArrayList<>(message.recipientCount());
                    for (int i = 0; i < message.recipientCount(); i++) {
                        all.add(i);
                    }
                    write(message, all);
                    unrecorded.remove(message);
                    LOG.info(() -> "Outbox recorded message " + message.id() + " after an earlier store write had failed");
                } catch (StoreException e) {
                    LOG.log(Level.FINE, "Outbox still cannot record message " + message.id(), e);
                    continue;
                }
                List<Stored> held = heldNotices.remove(message);
                if (held != null) {
                    held.forEach(letOut); // the marks they pay are cleared on disk now
                }
                if (message.owesNotice()) {
                    queueNotices(message);
                } else if (message.isFinished()) {
                    unlink(message);
                }
            }
        }
        return unrecorded.size();
    }

    /** Gives {@code action} each live message, oldest first, under the live list's lock: it must be quick, and take no other lock. */
    void forEachLive(Consumer<? super QueuedMessage> action) {
        synchronized (liveLock) {
            for (QueuedMessage m = oldest; m != null; m = m.newer) {
                action.accept(m);
            }
        }
    }

    /** The live messages, oldest first, at one moment. */
    List<QueuedMessage> liveMessages() {
        List<QueuedMessage> all = new ArrayList<>(liveCount); // sized by a count read without the lock: a hint
        forEachLive(all::add);
        return all;
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

    public long deletedCount() {
        return deleted.sum();
    }

    /** Recipients of live messages in {@code state} now. */
    public long recipientsIn(RecipientState state) {
        return inState[state.ordinal()].sum();
    }

    /** Store writes that failed since start (each retried by the sweep until it succeeds). */
    public long unrecordedWrites() {
        return unrecordedWrites.sum();
    }

    private void expire(QueuedMessage message, int i, List<RecipientChange> changes, List<Transition> told, long now, String reason) {
        RecipientState from = message.state(i);
        changes.add(message.expire(i));
        owe(message, i);
        expired.increment();
        note(told, message, i, from, RecipientState.EXPIRED, 0, reason, now);
        LOG.warning(() -> "message " + message.id() + " expired undelivered for " + message.recipient(i)
                + " at " + message.queue(i).name() + ": " + reason);
    }

    /**
     * Persists {@code changes} of {@code message} (whose monitor the caller holds) with their
     * notice marks, queues the notices owed, and lets a finished message go once it owes none.
     */
    private void persist(QueuedMessage message, List<RecipientChange> changes) {
        if (changes.isEmpty()) {
            return;
        }
        List<Integer> changed = new ArrayList<>(changes.size());
        for (RecipientChange change : changes) {
            changed.add(change.recipient());
        }
        if (record(message, changed) && message.owesNotice()) {
            queueNotices(message);
        }
        if (message.isFinished() && !message.owesNotice()) {
            unlink(message);
        }
    }

    /**
     * Writes what memory holds for {@code recipients} of {@code message} (state, reply, notice
     * mark) and its delay-notice mark, or removes it when it is finished and owes no notice: one
     * durable write. False when the store failed; the sweep writes the whole message again.
     */
    private boolean record(QueuedMessage message, List<Integer> recipients) {
        try {
            write(message, recipients);
            return true;
        } catch (StoreException e) {
            // Memory keeps what happened (so nothing goes out twice while running); the sweep writes it again.
            unrecorded.add(message);
            unrecordedWrites.increment();
            LOG.log(Level.SEVERE, "Outbox could not record the outcome for message " + message.id()
                    + "; the sweep writes it again, and until then a restart would attempt it again", e);
            return false;
        }
    }

    /** The one write of {@link #record} and {@link #recordAgain}: {@code recipients}' statuses and the delay mark, or the removal. */
    private void write(QueuedMessage message, List<Integer> recipients) {
        if (message.isFinished() && !message.owesNotice()) {
            store.remove(message); // one durable write: the final statuses would go with the message
        } else {
            List<RecipientChange> current = new ArrayList<>(recipients.size());
            for (int i : recipients) {
                current.add(new RecipientChange(i, message.status(i)));
            }
            store.update(message, current, message.delayNoticeSent());
        }
    }

    /** A notice is owed for recipient {@code i} of {@code message}, which just failed for good, if it has a sender. */
    private void owe(QueuedMessage message, int i) {
        if (notices.owedFor(message)) {
            message.owe(i);
        } else {
            notices.withhold(message, i);
        }
    }

    /**
     * Queues the bounces {@code message} owes (its lock held, its marks on disk): each is stored,
     * then the marks it pays are cleared on disk, and only then is it let out, so that no crash
     * can deliver a notice whose mark would make a restart compose it again.
     */
    private void queueNotices(QueuedMessage message) {
        List<Integer> owedBefore = new ArrayList<>();
        for (int i = 0; i < message.recipientCount(); i++) {
            if (message.owes(i)) {
                owedBefore.add(i);
            }
        }
        List<Stored> queued = notices.queueBounces(message);
        if (!queued.isEmpty()) {
            if (record(message, owedBefore)) {
                queued.forEach(letOut);
            } else {
                hold(message, queued);
            }
        }
        if (message.owesNotice()) {
            owing.add(message);
        } else {
            owing.remove(message);
            if (message.isFinished()) {
                unlink(message);
            }
        }
    }

    /** Keeps {@code queued} notices of {@code message} back until its cleared marks are recorded. */
    private void hold(QueuedMessage message, List<Stored> queued) {
        heldNotices.merge(message, queued, (a, b) -> {
            List<Stored> all = new ArrayList<>(a);
            all.addAll(b);
            return all;
        });
    }

    /** Queues the notices the store refused before (the sweep's call); returns how many messages still owe one. */
    int retryNotices() {
        for (QueuedMessage message : owing) {
            synchronized (message) {
                if (unrecorded.contains(message)) {
                    continue; // its marks are not on disk yet: recordAgain queues them once they are
                }
                if (message.owesNotice()) {
                    queueNotices(message);
                } else {
                    owing.remove(message);
                }
            }
        }
        return owing.size();
    }

    /**
     * After recovery, before anything is delivered: clears the marks of each original (id to the
     * notices recovered for it) that a stored notice already pays, and sets its delay-notice mark
     * if its delay notice is stored, so a crash between storing a notice and clearing its mark
     * does not send the notice twice; then lets each recovered notice out, but only once what it
     * pays is on disk (when that write fails, it is held until {@link #recordAgain} writes it).
     * The notices still owed are then queued.
     */
    void reconcileNotices(Map<String, List<Stored>> noticesByOriginal) {
        Map<String, List<Stored>> orphans = new LinkedHashMap<>(noticesByOriginal);
        if (!noticesByOriginal.isEmpty()) {
            for (QueuedMessage message : liveMessages()) {
                if (orphans.isEmpty()) {
                    break; // every notice found its original: the rest need not make their ids' text
                }
                List<Stored> found = orphans.remove(message.id());
                if (found == null) {
                    continue;
                }
                synchronized (message) {
                    List<Integer> cleared = new ArrayList<>();
                    boolean delayMarked = false;
                    for (Stored notice : found) {
                        if (SenderNotices.isDelayNotice(notice.id())) {
                            delayMarked |= !message.delayNoticeSent();
                            message.delayNoticeSent(true);
                        }
                        java.util.BitSet covered = SenderNotices.covered(notice.id());
                        for (int i = covered.nextSetBit(0); i >= 0 && i < message.recipientCount(); i = covered.nextSetBit(i + 1)) {
                            if (message.owes(i)) {
                                message.paid(i);
                                cleared.add(i);
                            }
                        }
                    }
                    if (cleared.isEmpty() && !delayMarked) {
                        found.forEach(letOut);
                        continue;
                    }
                    LOG.info(() -> "Outbox found the notices " + found.stream().map(Stored::id).toList() + " about message "
                            + message.id() + " already queued before the restart; they are not made again");
                    if (record(message, cleared)) {
                        found.forEach(letOut);
                    } else {
                        hold(message, found); // a notice is never delivered while a mark it pays is still on disk
                    }
                    if (message.isFinished() && !message.owesNotice()) {
                        owing.remove(message);
                        unlink(message);
                    }
                }
            }
        }
        for (List<Stored> notices : orphans.values()) {
            notices.forEach(letOut); // their originals are gone: nothing of theirs is left to pay
        }
        retryNotices();
    }

    /**
     * Queues the delay notices that are due at {@code now} (the sweep's call): walks the live
     * list, in admission (submit) order, from where the last walk stopped to the first message
     * not yet {@code delayAfter} old, so each message is looked at once and the rest not at all.
     * A message still with an unfinished recipient gets one notice naming those recipients.
     * Returns how many were queued.
     */
    int queueDelayNotices(long now) {
        if (!notices.delayNotices()) {
            return 0;
        }
        List<QueuedMessage> due = new ArrayList<>(delayRefused);
        delayRefused.removeAll(due);
        synchronized (liveLock) {
            for (QueuedMessage m = delayCursor == null ? oldest : delayCursor.newer; m != null && notices.delayDue(m, now); m = m.newer) {
                due.add(m);
                delayCursor = m;
            }
        }
        int count = 0;
        for (QueuedMessage message : due) {
            synchronized (message) {
                if (!message.live() || message.delayNoticeSent() || !notices.owedFor(message)) {
                    continue;
                }
                List<Integer> undelivered = new ArrayList<>();
                for (int i = 0; i < message.recipientCount(); i++) {
                    if (!message.state(i).isTerminal()) {
                        undelivered.add(i);
                    }
                }
                if (undelivered.isEmpty()) {
                    continue;
                }
                Stored notice = notices.queueDelay(message, undelivered);
                if (notice == null) {
                    delayRefused.add(message); // the store refused it: the next sweep tries again
                    continue;
                }
                message.delayNoticeSent(true);
                if (record(message, List.of())) {
                    letOut.accept(notice);
                } else {
                    hold(message, List.of(notice));
                }
                count++;
            }
        }
        return count;
    }

    long bounceNotices() {
        return notices.bounceCount();
    }

    long delayNotices() {
        return notices.delayCount();
    }

    long noticesWithheld() {
        return notices.withheldCount();
    }

    private void link(QueuedMessage message) {
        synchronized (liveLock) {
            message.older = newest;
            if (newest != null) {
                newest.newer = message;
            } else {
                oldest = message;
            }
            newest = message;
            liveCount++;
        }
    }

    private void unlink(QueuedMessage message) {
        synchronized (liveLock) {
            if (!message.live()) {
                return;
            }
            if (delayCursor == message) {
                delayCursor = message.older; // the walk goes on from its older neighbour, which it has seen
            }
            for (int i = 0; i < message.recipientCount(); i++) {
                inState[message.state(i).ordinal()].decrement(); // a finished message leaves the live counts
            }
            if (message.older != null) {
                message.older.newer = message.newer;
            } else {
                oldest = message.newer;
            }
            if (message.newer != null) {
                message.newer.older = message.older;
            } else {
                newest = message.older;
            }
            message.unlinked();
            liveCount--;
        }
    }

    private void note(List<Transition> told, QueuedMessage message, int i, RecipientState from, RecipientState to,
                      int replyCode, String reply, long now) {
        inState[from.ordinal()].decrement();
        inState[to.ordinal()].increment();
        if ((from == RecipientState.DEFERRED) != (to == RecipientState.DEFERRED)) {
            message.queue(i).deferred(to == RecipientState.DEFERRED ? 1 : -1);
        }
        if (to.isTerminal() && !from.isTerminal() && firstUnfinishedIn(message, message.queue(i)) < 0) {
            // Before the message leaves the store (persist comes after): its length is still there.
            message.queue(i).releases(message.contentLength());
        }
        message.lastReply(i, reply); // a server's reply starts with its code already
        if (!listeners.isEmpty()) {
            told.add(new Transition(message.id(), message.recipient(i), message.queue(i).name(), from, to,
                    replyCode, reply, now));
        }
    }

    private void tell(List<Transition> told) {
        for (Transition transition : told) {
            for (Transition.Listener listener : listeners) {
                try {
                    listener.changed(transition);
                } catch (RuntimeException | Error e) { // a listener (notifications, DSNs) must never leave a transition half told
                    LOG.log(Level.WARNING, "Outbox transition listener " + listener + " failed", e);
                }
            }
        }
    }
}
