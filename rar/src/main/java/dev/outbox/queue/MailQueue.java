package dev.outbox.queue;

import dev.outbox.api.OutboxException;
import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The queue engine's front: accepts messages into the store, keeps one {@link TransferQueue}
 * per next hop, starts a {@link DeliveryAgent} per connection, keeps each queue's one timer,
 * and sweeps. Every recipient transition goes through its {@link RecipientLedger}.
 *
 * <p>Operations: {@link #start} recovers the store (every unfinished recipient back in its
 * queue with its due time) and must finish before {@link #submit}, which returns the queue id
 * once the message is on stable storage. {@link #wake} is the retry clock's call for one
 * destination: it merges the deferred recipients whose time has come back into the ready
 * queue and delivers. {@link #sweep} checks the invariant over every live recipient, repairs
 * and counts what breaks it, and writes again what the store failed to take.
 * {@link #rearm} asks the clock again for every queue's next time. {@link #stop} refuses
 * submits, lets open connections finish their message, aborts those that do not within the
 * grace period, records every outcome, and only then closes the store.
 *
 * <p>Retry: a connection that cannot be opened, breaks, times out or gets 421 puts its queue
 * into RETRY until the next time of the retry schedule, and the recipients of the message in
 * flight are deferred to that time; a 4xx for one recipient defers that recipient alone by
 * its own attempts; a 5xx bounces it. Past its expiry time, a recipient expires instead.
 *
 * <p>Connections: at most {@link QueuePolicy#connectionsPerDestination()} per queue (by its destination) and
 * {@link QueuePolicy#maxConnections()} in all, each on its own thread from the executor (the
 * server's long-running pool), opened only for ready mail that no open connection will take.
 *
 * <p>Threading: every method is safe from any thread; see {@link RecipientLedger} for locks.
 */
public final class MailQueue {

    private static final Logger LOG = Logger.getLogger(MailQueue.class.getName());

    /** How long a recipient may be overdue before the sweep counts it: DESIGN.md's "about one second". */
    static final long OVERDUE_GRACE_MILLIS = 1_000;
    /** When no thread could be had for a connection, the queue asks its timer to try again this much later. */
    static final long THREAD_RETRY_MILLIS = 1_000;
    /** How long a queue with nothing in it is kept before the sweep forgets it: as long as its MBean. */
    static final long RETIRE_IDLE_MILLIS = 10 * 60_000;
    /** How long {@link #stop} waits for aborted connections to record their outcomes. */
    static final long ABORT_WAIT_MILLIS = 5_000;

    final Clock clock;
    final MessageStore store;
    final Deliverer deliverer;
    final QueuePolicy policy;
    final RecipientLedger ledger;
    private final QueueIds ids;
    private final Function<String, Destination> router;
    private final Executor executor;
    private final Wakeups wakeups;

    private final Map<String, TransferQueue> queues = new ConcurrentHashMap<>();
    /** Destinations an operator froze, as saved in the store; a queue made later for one starts frozen. */
    private final Set<String> frozenDestinations = ConcurrentHashMap.newKeySet();
    private final Set<DeliveryAgent> agents = ConcurrentHashMap.newKeySet();
    private final Object agentsEnded = new Object();
    /** The global connection cap's state, changed together under its own lock. */
    private final Cap cap = new Cap();

    private static final class Cap {
        /** Connections open (or reserved) over every queue. */
        int open;
        /** Since when the cap has had room, or Long.MAX_VALUE while it is full. */
        long freeSinceMillis;
        /** A queue went without a connection because the cap was full: serve every queue when a slot comes back. */
        boolean starved;
    }
    private final LongAdder refusedThreads = new LongAdder();
    /** Where the next serving of starved queues starts, so that every queue has its turn first. */
    private final java.util.concurrent.atomic.AtomicInteger starvedTurn = new java.util.concurrent.atomic.AtomicInteger();
    /** Messages {@link #submit} accepted (on stable storage) since this engine was made. */
    private final LongAdder submitted = new LongAdder();
    private volatile boolean accepting;
    volatile boolean stopping;
    /** Held by an operator: no connection opens anywhere (open ones finish their message); not saved across a restart. */
    private volatile boolean paused;
    /**
     * Held until the retry clock is known to work ({@link #awaitClock}): a queue that enters RETRY
     * needs a wake-up, and in WildFly the timers fire only once the server has finished starting.
     * Nothing is dispatched and nothing counts as overdue meanwhile.
     */
    private volatile boolean awaitingClock;

    /**
     * @param router   maps a recipient address to its destination (the smarthost, or its domain)
     * @param executor runs each connection; the adapter's runs them on the long-running pool
     */
    public MailQueue(Clock clock, MessageStore store, Function<String, Destination> router, Deliverer deliverer,
                     Executor executor, Wakeups wakeups, QueuePolicy policy) {
        this.clock = clock;
        this.ids = new QueueIds(clock);
        this.store = store;
        this.router = router;
        this.deliverer = deliverer;
        this.executor = executor;
        this.wakeups = wakeups;
        this.policy = policy;
        this.ledger = new RecipientLedger(store, policy.retrySchedule());
    }

    /**
     * Sends delivery status notices to senders: bounces for recipients that fail, and (unless
     * {@code delayNoticeAfter} is zero) one delay notice a message still undelivered that long
     * after submit, each written by {@code composer}. Call before {@link #start}; without it the
     * queue sends none and failures are only logged.
     */
    public void notifySenders(NoticeComposer composer, Duration delayNoticeAfter) {
        if (delayNoticeAfter.isNegative()) {
            throw new IllegalArgumentException("the delay-notice time " + delayNoticeAfter + " is negative: give 0 for no delay notices");
        }
        ledger.notifySenders(new SenderNotices(store, composer, clock, delayNoticeAfter.toMillis(), policy.maxAge().toMillis()),
                this::letOut);
    }

    /** Takes a notice that is durably queued into its transfer queue and delivers it. */
    private void letOut(Stored notice) {
        Set<TransferQueue> ready = admit(notice, clock.millis());
        if (ready == null) {
            store.remove(notice.entry()); // a recovered notice that was finished already
            return;
        }
        if (accepting) {
            for (TransferQueue queue : ready) {
                dispatch(queue);
            }
        }
    }

    /**
     * Delivers nothing until {@link #clockWorks}: for a clock that may not fire yet (the EJB timer
     * service of a server still starting). Call before {@link #start}.
     */
    public void awaitClock() {
        awaitingClock = true;
    }

    /** The retry clock is known to work: delivery starts (or goes on), every queue armed and dispatched. */
    public void clockWorks() {
        if (!awaitingClock) {
            return;
        }
        awaitingClock = false;
        LOG.info("Outbox delivers: its retry clock works");
        for (TransferQueue queue : queues.values()) {
            arm(queue);
            dispatch(queue);
        }
    }

    /** True while delivery waits for the retry clock (see {@link #awaitClock}). */
    public boolean awaitingClock() {
        return awaitingClock;
    }

    /** Recovers the store and starts delivering what is due. Call once, before any submit. */
    public void start() {
        long now = clock.millis();
        List<StoreEntry> finished = new ArrayList<>();
        Map<String, List<Stored>> noticesByOriginal = new HashMap<>();
        store.liveEntries(ledger::forEachLive); // the store finds the messages of an old segment it empties among these
        store.recover((message, entry) -> {
            Stored stored = new Stored(message, entry);
            String original = SenderNotices.originalOf(message.id());
            if (original != null) {
                // Admitted once the marks it pays are cleared on disk (reconcileNotices), never before.
                noticesByOriginal.computeIfAbsent(original, k -> new ArrayList<>(1)).add(stored);
            } else if (admit(stored, now) == null) {
                finished.add(entry);
            }
        });
        for (StoreEntry entry : finished) {
            store.remove(entry);
        }
        // Before anything is delivered: a notice stored before a crash pays its marks, and is not made again.
        ledger.reconcileNotices(noticesByOriginal);
        frozenDestinations.addAll(store.frozenDestinations());
        for (String destination : frozenDestinations) {
            try {
                Destination saved = Destination.parse(destination);
                // A frozen destination keeps its queue (and its MBean), mail or not, so it can be unfrozen.
                queues.computeIfAbsent(saved.name(), name -> new TransferQueue(saved, now)).freeze();
            } catch (IllegalArgumentException e) {
                LOG.severe(() -> "Outbox ignores the saved frozen destination \"" + ReplyText.oneLine(destination) + "\": " + e.getMessage());
            }
        }
        accepting = true;
        for (TransferQueue queue : queues.values()) {
            arm(queue);
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
        // Accepted at the id's time, which the queue's message then need not keep apart; but never after the clock's: ids do
        // not go back with the clock, and after a step back the id's time is in the future (kept apart then, rarely).
        StoredMessage stored = new StoredMessage(id, Math.min(now, QueueIds.millisOf(id)), now + policy.maxAge().toMillis(),
                submission.envelope(), statuses);
        StoreEntry entry;
        try {
            entry = store.add(stored, submission.content().bytes());
        } catch (StoreException e) {
            throw new OutboxException("message " + id + " not queued: " + e.getMessage(), e);
        }
        submitted.increment();
        for (TransferQueue queue : admit(new Stored(stored, entry), now)) {
            dispatch(queue);
        }
        return id;
    }

    /** The retry clock's call: merges what is due in {@code destination}'s queue and delivers it. */
    public void wake(String destination) {
        TransferQueue queue = queues.get(destination);
        if (queue == null) {
            return;
        }
        queue.disarm();
        ledger.merge(queue, clock.millis());
        arm(queue);
        dispatch(queue);
    }

    /**
     * Checks the invariant over every live recipient and repairs what breaks it: a recipient
     * due for more than {@link #OVERDUE_GRACE_MILLIS} while its queue could take it, or in
     * flight past its attempt's deadline (whose connection is closed first). Each is logged and
     * counted once in {@link #stuckRecovered()}. Also expires what is past its age, writes again
     * what the store failed to take, and merges, arms and dispatches every queue. Returns how
     * many recipients it repaired.
     */
    public int sweep() {
        long now = clock.millis();
        ledger.recordAgain();
        ledger.retryNotices();
        ledger.expireDue(now);
        ledger.queueDelayNotices(now);
        List<RecipientLedger.Overdue> found = ledger.overdue(now, OVERDUE_GRACE_MILLIS, this::freeSince);
        int repaired = 0;
        List<String> examples = new ArrayList<>();
        for (RecipientLedger.Overdue overdue : found) {
            if (overdue.state() == RecipientState.IN_FLIGHT) {
                boolean answered = false;
                for (DeliveryAgent agent : agents) {
                    // answered and not yet recorded (the agent records it during its next message's first round trip): not stuck
                    answered |= agent.recordIfAnswered(overdue.message(), overdue.recipient(), overdue.time());
                }
                if (answered) {
                    continue;
                }
                for (DeliveryAgent agent : agents) {
                    // closed before the repair, so the repair cannot send twice; only that attempt's connection
                    agent.abortIfCarrying(overdue.message(), overdue.recipient(), overdue.time());
                }
            }
            if (ledger.repair(overdue, now)) {
                repaired++;
                if (examples.size() < 5) {
                    examples.add(overdue.message().id() + " recipient " + overdue.recipient() + " (" + overdue.state()
                            + " at " + overdue.queue().name() + ")");
                }
            }
        }
        if (repaired > 0) {
            int count = repaired;
            LOG.warning(() -> "Outbox sweep found " + count + " recipients overdue by more than " + OVERDUE_GRACE_MILLIS
                    + " ms and put them back in their queues, e.g. " + examples);
        }
        for (TransferQueue queue : queues.values()) {
            ledger.merge(queue, now);
            arm(queue);
            dispatch(queue);
        }
        retireIdleQueues(now);
        return repaired;
    }

    /** How many live recipients break the invariant right now (see {@link #sweep}); 0 in a healthy queue. Repairs nothing. */
    public int overdueRecipients() {
        return ledger.overdue(clock.millis(), OVERDUE_GRACE_MILLIS, this::freeSince).size();
    }

    /** Asks the clock for every queue's next due time: after start, and when a new clock attaches. */
    public void rearm() {
        for (TransferQueue queue : queues.values()) {
            queue.disarm();
            arm(queue);
        }
    }

    /**
     * Refuses submits; lets open connections finish the message they carry, for up to
     * {@code graceMillis}; then aborts those still open and waits for them to record their
     * outcomes (a message cut off before the server's reply is attempted again after restart);
     * then closes the store. No delivery thread of this queue runs after it returns, unless one
     * did not end within {@link #ABORT_WAIT_MILLIS} of its abort, which is logged.
     */
    public void stop(long graceMillis) {
        accepting = false;
        stopping = true;
        if (!awaitAgents(graceMillis)) {
            LOG.warning(() -> "Outbox stopping: aborting " + agents.size() + " connections still open after " + graceMillis + " ms");
            for (DeliveryAgent agent : agents) {
                agent.abort();
            }
            if (!awaitAgents(ABORT_WAIT_MILLIS)) {
                LOG.severe(() -> "Outbox stopping with " + agents.size() + " delivery threads that did not end after their connection"
                        + " was closed; their recipients are attempted again after restart");
                for (DeliveryAgent agent : agents) {
                    agent.recordAnswered(); // an answer already known is recorded, not sent again after restart
                }
            }
        }
        if (ledger.recordAgain() > 0) {
            LOG.severe("Outbox stopping with outcomes its store would not take; those recipients are attempted again after restart");
        }
        store.close();
    }

    private boolean awaitAgents(long millis) {
        long deadline = System.nanoTime() + millis * 1_000_000;
        synchronized (agentsEnded) {
            while (!agents.isEmpty()) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                try {
                    agentsEnded.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return agents.isEmpty();
                }
            }
            return true;
        }
    }

    /**
     * Holds every unfinished recipient of message {@code id}: it is not attempted, and does
     * not expire, until unfrozen. One in flight is frozen when its attempt ends undelivered.
     * Persisted before it returns, so it holds across a restart. Returns how many recipients
     * it changed or marked.
     *
     * @throws IllegalArgumentException when no unfinished message has that id
     */
    public int freezeMessage(String id) {
        return operate(id, RecipientLedger.Operation.FREEZE);
    }

    /** Releases the frozen recipients of message {@code id}: due now. See {@link #freezeMessage}. */
    public int unfreezeMessage(String id) {
        return operate(id, RecipientLedger.Operation.UNFREEZE);
    }

    /**
     * Deletes every unfinished recipient of message {@code id} (no notice to the sender). One in
     * flight is deleted when its attempt ends, unless it was delivered. See {@link #freezeMessage}.
     */
    public int deleteMessage(String id) {
        return deleteMessage(id, false);
    }

    /**
     * As {@link #deleteMessage(String)}; {@code withNotice} sends the sender a bounce (Action:
     * failed) for the recipients it deletes, as for any failure (none for a null reverse path).
     */
    public int deleteMessage(String id, boolean withNotice) {
        QueuedMessage message = find(id);
        int count = ledger.operate(message, null, RecipientLedger.Operation.DELETE, withNotice, clock.millis());
        LOG.info(() -> "Outbox operator: DELETE" + (withNotice ? " with notice" : "") + " message " + id + " (" + count + " recipients)");
        return count;
    }

    /** Makes the deferred recipients of message {@code id} due now. See {@link #freezeMessage}. */
    public int retryMessage(String id) {
        return operate(id, RecipientLedger.Operation.RETRY_NOW);
    }

    private QueuedMessage find(String id) {
        QueuedMessage message = ledger.find(id);
        if (message == null) {
            throw new IllegalArgumentException("no queued message has id \"" + ReplyText.oneLine(id)
                    + "\" (it may have been delivered, bounced, expired or deleted already)");
        }
        return message;
    }

    private int operate(String id, RecipientLedger.Operation operation) {
        QueuedMessage message = find(id);
        int count = ledger.operate(message, null, operation, clock.millis());
        LOG.info(() -> "Outbox operator: " + operation + " message " + id + " (" + count + " recipients)");
        Set<TransferQueue> touched = new LinkedHashSet<>();
        for (int i = 0; i < message.recipientCount(); i++) {
            touched.add(message.queue(i));
        }
        for (TransferQueue queue : touched) {
            if (operation == RecipientLedger.Operation.RETRY_NOW && count > 0 && !queue.frozen()) {
                queue.retryNow(clock.millis()); // "now" means now, also for a queue waiting for its retry time
            }
            arm(queue);
            dispatch(queue);
        }
        return count;
    }

    /**
     * Holds transfer queue {@code destination}: its connections finish the message they carry
     * and take no more, none opens, and nothing of it counts as overdue, until unfrozen. Saved
     * in the store before it returns, so it stays frozen across a restart.
     *
     * @throws IllegalArgumentException when there is no such queue
     */
    public void freezeQueue(String destination) {
        hold(destination, true);
    }

    /** Releases transfer queue {@code destination}; its due mail goes out at once. See {@link #freezeQueue}. */
    public void unfreezeQueue(String destination) {
        TransferQueue queue = hold(destination, false);
        arm(queue);
        dispatch(queue);
    }

    /** Freezes or unfreezes a queue, saving the set of frozen destinations first. */
    private TransferQueue hold(String destination, boolean frozen) {
        TransferQueue queue = existing(destination);
        synchronized (frozenDestinations) {
            Set<String> next = new TreeSet<>(frozenDestinations);
            if (frozen ? !next.add(destination) : !next.remove(destination)) {
                return queue; // already so
            }
            store.saveFrozenDestinations(next); // a queue's hold changes only once it is durable
            if (frozen) {
                frozenDestinations.add(destination);
                queue.freeze();
            } else {
                frozenDestinations.remove(destination);
                queue.unfreeze(clock.millis());
            }
        }
        LOG.info(() -> "Outbox queue " + destination + (frozen ? " frozen" : " unfrozen") + " by an operator");
        return queue;
    }

    /**
     * Tries transfer queue {@code destination} now: ends its wait for the retry time and makes
     * its deferred recipients due. A frozen queue is left as it is. Returns how many recipients
     * became due.
     */
    public int retryQueue(String destination) {
        TransferQueue queue = existing(destination);
        if (queue.frozen()) {
            return 0;
        }
        queue.retryNow(clock.millis());
        int count = operateAll(queue, RecipientLedger.Operation.RETRY_NOW);
        arm(queue);
        dispatch(queue);
        return count;
    }

    /** Deletes every unfinished recipient of transfer queue {@code destination} (see {@link #deleteMessage}); returns how many. */
    public int deleteQueue(String destination) {
        return deleteQueue(destination, false);
    }

    /** As {@link #deleteQueue(String)}; {@code withNotice} sends each sender a bounce (see {@link #deleteMessage(String, boolean)}). */
    public int deleteQueue(String destination, boolean withNotice) {
        return operateAll(existing(destination), RecipientLedger.Operation.DELETE, withNotice);
    }

    private int operateAll(TransferQueue queue, RecipientLedger.Operation operation) {
        return operateAll(queue, operation, false);
    }

    /** Applies {@code operation} to every recipient of {@code queue}; returns how many it changed or marked. */
    private int operateAll(TransferQueue queue, RecipientLedger.Operation operation, boolean withNotice) {
        int count = 0;
        long now = clock.millis();
        for (QueuedMessage message : ledger.messagesIn(queue)) {
            count += ledger.operate(message, queue, operation, withNotice, now);
        }
        int changed = count;
        LOG.info(() -> "Outbox operator: " + operation + " queue " + queue.name() + " (" + changed + " recipients)");
        return count;
    }

    private TransferQueue existing(String destination) {
        TransferQueue queue = destination == null ? null : queues.get(destination);
        if (queue == null) {
            throw new IllegalArgumentException("there is no transfer queue \"" + ReplyText.oneLine(destination) + "\"; queues: "
                    + queues.keySet());
        }
        return queue;
    }

    /**
     * Live messages (not yet finished) whose id, sender or one of whose recipients contains
     * {@code query} (ignoring case; empty matches all), in {@code destination}'s queue only when
     * it is not null, oldest first, from {@code offset}, at most {@code limit}. Walks the live
     * messages in memory: for operators, not for delivery.
     */
    public List<MessageSnapshot> findMessages(String destination, String query, int offset, int limit) {
        if (offset < 0 || limit < 0) {
            throw new IllegalArgumentException("offset " + offset + " and limit " + limit + " must not be negative");
        }
        TransferQueue only = destination == null ? null : existing(destination);
        String needle = query == null ? "" : query;
        // The page is picked in one walk of the live list that stops once it is full, copying nothing and taking no
        // message's lock (the bench's scale lane timed listMessages(0, 50) at 0.7 s in a queue of a million when every
        // message was copied and locked first); each message picked is then read under its own lock.
        List<MessageSnapshot> page = new ArrayList<>();
        for (QueuedMessage message : ledger.page(only, needle.isEmpty() ? m -> true : m -> matches(m, needle), offset, limit)) {
            page.add(snapshot(message));
        }
        return page;
    }

    /** Message {@code id} as it stands now, or null when no unfinished message has that id. */
    public MessageSnapshot findMessage(String id) {
        QueuedMessage message = ledger.find(id);
        return message == null ? null : snapshot(message);
    }

    /**
     * The header section of message {@code id} as stored (up to the blank line, at most
     * {@code maxBytes}), or "" when the store no longer has it. Reads the store: for operators.
     */
    public String messageHeaders(String id, int maxBytes) {
        QueuedMessage message = ledger.find(id);
        if (message == null) {
            return "";
        }
        byte[] content;
        try {
            content = store.content(message);
        } catch (StoreException e) {
            return "";
        }
        int end = Math.min(content.length, maxBytes);
        for (int i = 0; i + 3 < content.length && i < maxBytes; i++) {
            if (content[i] == '\r' && content[i + 1] == '\n' && content[i + 2] == '\r' && content[i + 3] == '\n') {
                end = i + 2;
                break;
            }
        }
        return new String(content, 0, end, StandardCharsets.ISO_8859_1);
    }

    /** The figures of one queue for management. */
    public record QueueFigures(int messages, long sizeBytes, long oldestSubmitMillis) {
    }

    /**
     * Messages with an unfinished recipient in {@code destination}'s queue, their size (both kept
     * by every transition) and the oldest one's submit time (a walk from the oldest live message
     * that stops at the first in this queue).
     */
    public QueueFigures figures(String destination) {
        TransferQueue queue = existing(destination);
        return new QueueFigures(queue.messageCount(), queue.sizeBytes(), ledger.oldestSubmitMillisIn(queue));
    }

    /** Recipients of live messages in {@code state} now (kept by every transition: reading it costs nothing). */
    public long recipientsIn(RecipientState state) {
        return ledger.recipientsIn(state);
    }

    private MessageSnapshot snapshot(QueuedMessage message) {
        synchronized (message) {
            return message.snapshot(message.contentLength());
        }
    }

    private static boolean matches(QueuedMessage message, String needle) {
        if (containsIgnoringCase(message.id(), needle) || containsIgnoringCase(message.reversePath(), needle)) {
            return true;
        }
        for (int i = 0; i < message.recipientCount(); i++) {
            if (containsIgnoringCase(message.recipient(i), needle)) {
                return true;
            }
        }
        return false;
    }

    /** {@code text} contains {@code needle}, ignoring case, without making a lower-case copy of either (a search walks a million). */
    private static boolean containsIgnoringCase(String text, String needle) {
        for (int i = 0; i + needle.length() <= text.length(); i++) {
            if (text.regionMatches(true, i, needle, 0, needle.length())) {
                return true;
            }
        }
        return false;
    }

    /** Stops opening connections to every destination until {@link #resume}; open ones finish the message they carry. */
    public void pause() {
        paused = true;
        LOG.info("Outbox paused by an operator: no connection opens until it is resumed");
    }

    /** Opens connections again where mail is due. */
    public void resume() {
        paused = false;
        LOG.info("Outbox resumed by an operator");
        for (TransferQueue queue : queues.values()) {
            arm(queue);
            dispatch(queue);
        }
    }

    public boolean paused() {
        return paused;
    }

    /** {@link #retryQueue} for every queue; returns how many recipients became due. */
    public int retryAll() {
        int count = 0;
        for (TransferQueue queue : queues.values()) {
            count += retryQueue(queue.name());
        }
        return count;
    }

    /** The transfer queues, one per next hop. */
    public Collection<TransferQueue> queues() {
        return Collections.unmodifiableCollection(queues.values());
    }

    /** The transfer queue named {@code destination}, or null. */
    public TransferQueue queue(String destination) {
        return queues.get(destination);
    }

    /** Adds a listener told every recipient transition from now on. */
    public void listen(Transition.Listener listener) {
        ledger.listen(listener);
    }

    public int messageCount() {
        return store.messageCount(); // the store's index is the one index of messages: no second map
    }

    /** Bytes the store occupies on disk. */
    public long storeSizeBytes() {
        return store.sizeBytes();
    }

    /** The clock the engine reads, for views that show ages. */
    public Clock clock() {
        return clock;
    }

    /** Messages accepted by {@link #submit} since this engine was made (recovered ones are not counted again). */
    public long submittedCount() {
        return submitted.sum();
    }

    public long deliveredCount() {
        return ledger.deliveredCount();
    }

    public long bouncedCount() {
        return ledger.bouncedCount();
    }

    public long expiredCount() {
        return ledger.expiredCount();
    }

    public long deferredCount() {
        return ledger.deferredCount();
    }

    public long stuckRecovered() {
        return ledger.stuckRecovered();
    }

    public long deletedCount() {
        return ledger.deletedCount();
    }

    /** Bounce notices (Action: failed) durably queued to senders since start. */
    public long bounceNoticeCount() {
        return ledger.bounceNotices();
    }

    /** Delay notices (Action: delayed) durably queued to senders since start. */
    public long delayNoticeCount() {
        return ledger.delayNotices();
    }

    /** Failed recipients of messages with a null reverse path (notices among them): no notice is sent for them. */
    public long noticesWithheldCount() {
        return ledger.noticesWithheld();
    }

    /** Connections that could not get a thread from the executor (each retried a second later by the queue's timer). */
    public long refusedThreads() {
        return refusedThreads.sum();
    }

    /** Connections open now, over every queue. */
    public int openConnections() {
        synchronized (cap) {
            return cap.open;
        }
    }

    /** Admits {@code stored}: routes its recipients, and the ledger takes it in. Null when it has no unfinished recipient. */
    private Set<TransferQueue> admit(Stored stored, long now) {
        List<String> recipients = stored.message().envelope().recipients();
        TransferQueue[] routed = new TransferQueue[recipients.size()];
        for (int i = 0; i < routed.length; i++) {
            Destination destination = router.apply(recipients.get(i));
            // Marked as admitting in the same atomic step that finds it, so the sweep cannot retire it meanwhile.
            routed[i] = queues.compute(destination.name(), (name, existing) -> {
                TransferQueue queue = existing;
                if (queue == null) {
                    queue = new TransferQueue(destination, now);
                    if (frozenDestinations.contains(name)) {
                        queue.freeze();
                    }
                }
                queue.admitting(1, now);
                return queue;
            });
        }
        try {
            return ledger.admit(stored, routed, now);
        } finally {
            for (TransferQueue queue : routed) {
                queue.admitting(-1, clock.millis());
            }
        }
    }

    /**
     * Forgets the queues that have had nothing to do for {@link #RETIRE_IDLE_MILLIS}: with routing
     * by MX every recipient domain ever seen would otherwise keep one, and every dispatch that
     * serves starved queues walks them all.
     */
    private void retireIdleQueues(long now) {
        for (TransferQueue queue : queues.values()) {
            queues.computeIfPresent(queue.name(), (name, current) ->
                    current == queue && queue.retirable(now, RETIRE_IDLE_MILLIS) ? null : current);
        }
    }

    /** Starts connections for {@code queue}'s ready mail, as far as its limit and the global cap allow. */
    void dispatch(TransferQueue queue) {
        while (!stopping && !paused && !awaitingClock) {
            long now = clock.millis();
            // The queue agrees first, so a dispatch with nothing to send never holds a global slot, even briefly.
            if (!queue.openConnection(now, policy.connectionsFor(queue))) {
                return;
            }
            if (!reserveConnection(now)) {
                queue.connectionClosed(now, true); // given back before the queue is marked starved, so serving it finds room
                if (markStarvedIfFull()) {
                    return; // the next connection to give its slot back dispatches this queue
                }
                continue; // a slot came back meanwhile
            }
            DeliveryAgent agent = new DeliveryAgent(this, queue);
            agents.add(agent);
            try {
                executor.execute(agent);
            } catch (RuntimeException | Error e) { // refused, or no thread could be made: the slot must come back either way
                refusedThreads.increment();
                ended(agent, queue, true);
                LOG.log(Level.WARNING, "Outbox could not get a delivery thread for " + queue.name()
                        + "; it tries again in " + THREAD_RETRY_MILLIS + " ms", e);
                armAt(queue, clock.millis() + THREAD_RETRY_MILLIS);
                serveStarved(queue);
                return;
            }
        }
    }

    /** Called once by every agent that was dispatched, when it ends; {@code neverStarted} when it never polled the queue. */
    void ended(DeliveryAgent agent, TransferQueue queue, boolean neverStarted) {
        long now = clock.millis();
        queue.connectionClosed(now, neverStarted);
        releaseConnection(now);
        agents.remove(agent);
        synchronized (agentsEnded) {
            agentsEnded.notifyAll();
        }
    }

    /**
     * After a connection closed: queues that waited for the global cap first (the slot goes to
     * another destination before this one takes it again), then mail that arrived meanwhile.
     */
    void afterConnection(TransferQueue queue) {
        serveStarved(queue);
        dispatch(queue);
    }

    /** Dispatches, other than {@code released}, every queue if one found the global cap full since a slot was last given back. */
    private void serveStarved(TransferQueue released) {
        boolean starved;
        synchronized (cap) {
            starved = cap.starved;
            cap.starved = false;
        }
        if (starved) {
            // From a place that moves on each time: in the map's fixed order the queues first in it took every slot
            // that came back, and the last waited seconds under load (the bench's merge lane found 5 s against 1 s).
            List<TransferQueue> all = new ArrayList<>(queues.values());
            int start = all.isEmpty() ? 0 : Math.floorMod(starvedTurn.getAndIncrement(), all.size());
            for (int k = 0; k < all.size(); k++) {
                TransferQueue other = all.get((start + k) % all.size());
                if (other != released) {
                    dispatch(other);
                }
            }
        }
    }

    /** Notes that a queue went without a slot, if the cap is still full; false when a slot came back meanwhile. */
    private boolean markStarvedIfFull() {
        synchronized (cap) {
            if (cap.open >= policy.maxConnections()) {
                cap.starved = true;
                return true;
            }
            return false;
        }
    }

    /** Takes a slot under the global cap; false when it is full. */
    private boolean reserveConnection(long now) {
        synchronized (cap) {
            if (cap.open >= policy.maxConnections()) {
                return false;
            }
            cap.open++;
            if (cap.open >= policy.maxConnections()) {
                cap.freeSinceMillis = Long.MAX_VALUE;
            }
            return true;
        }
    }

    private void releaseConnection(long now) {
        synchronized (cap) {
            cap.open--;
            if (cap.freeSinceMillis == Long.MAX_VALUE) {
                cap.freeSinceMillis = now;
            }
        }
    }

    /** Since when {@code queue} could have opened a connection for due mail, for the invariant check. */
    private long freeSince(TransferQueue queue) {
        if (paused || awaitingClock) {
            return Long.MAX_VALUE; // held mail is not overdue
        }
        long capFreeSince;
        synchronized (cap) {
            capFreeSince = cap.freeSinceMillis;
        }
        return Math.max(queue.freeSince(clock.millis()), capFreeSince);
    }

    /**
     * A connection-level failure of {@code queue}: enters RETRY (once for connections failing
     * together) and returns the retry time. It does not arm the timer: the caller does, after
     * it has settled its attempt.
     */
    long enterRetry(TransferQueue queue, String error) {
        long now = clock.millis();
        String reason = ReplyText.oneLine(error);
        TransferQueue.Retry retry = queue.failed(now, policy.retrySchedule(), reason);
        if (retry.entered()) {
            LOG.info(() -> "Outbox queue " + queue.name() + " entered RETRY until " + Instant.ofEpochMilli(retry.atMillis()) + ": " + reason);
        }
        return retry.atMillis(); // the caller settles its attempt, then arms: nothing that can block comes before the outcome
    }

    /** Makes sure the queue's one timer fires by its next due time (see {@link TransferQueue#nextWake}). */
    void arm(TransferQueue queue) {
        armAt(queue, Long.MAX_VALUE);
    }

    /** As {@link #arm}, and no later than {@code atMillis}. */
    private void armAt(TransferQueue queue, long atMillis) {
        synchronized (queue.armLock) {
            long now = clock.millis();
            long at = Math.min(atMillis, queue.nextWake(now));
            if (queue.arm(at, now)) {
                try {
                    if (!wakeups.wakeAt(queue.name(), Instant.ofEpochMilli(at))) {
                        queue.disarm(); // no clock yet: asked again at the next arm, or when a clock attaches
                    }
                } catch (RuntimeException e) {
                    queue.disarm();
                    LOG.log(Level.WARNING, "Outbox could not ask for a wake-up of " + queue.name() + "; the sweep covers it", e);
                }
            }
        }
    }
}
