package dev.outbox.store;

import dev.outbox.api.QueueFullException;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.Set;
import java.util.Objects;

/**
 * A {@link MessageStore} kept in memory, for engine tests that need no disk: fast, and able to
 * fail on demand.
 *
 * <p>It owns the live messages in the order they were added, each with its latest recipient
 * statuses and delay-notice mark and a private copy of its content, plus a plan of failures to inject and a count of
 * calls. "Stable storage" is this object: what a call recorded survives {@link #close}, and
 * nothing survives the JVM. So a <em>restart</em> is: {@link #close} the store, then
 * {@link #recover} the same instance again (a test closes its engine and builds a new engine over
 * the same MemoryStore); recovery replays what was added and not removed, oldest first, each
 * recipient at its latest status, as a disk store does after a server restart.
 *
 * <p>Operations:
 * <ul>
 * <li>{@link #MemoryStore()} has no size limit; {@link #MemoryStore(long)} refuses adds past
 *     {@code maxBytes} as counted by {@link #sizeBytes}.</li>
 * <li>{@link #recover} first, and again after each {@link #close}; the sink is called outside the
 *     store's lock, so it may call back into the store.</li>
 * <li>{@link #add} keeps a copy of the content, or throws {@link QueueFullException} when the
 *     message's content and {@link #MESSAGE_OVERHEAD_BYTES} would take the store past its limit,
 *     keeping nothing of it; {@link #addNotice} the same, without the limit. The limit is checked under the lock: concurrent adds never pass it.</li>
 * <li>{@link #update} and {@link #remove} of an id not stored are ignored, as the SPI allows; an
 *     update applies all its changes, and its delay-notice mark, or none.</li>
 * <li>{@link #content} gives a fresh copy, or {@link StoreException} for an id not stored.</li>
 * <li>{@link #messageCount}, {@link #sizeBytes} (contents plus {@link #MESSAGE_OVERHEAD_BYTES} a
 *     message) and {@link #corruptRecords} (always 0: nothing is ever torn) may be read at any
 *     time, closed or not.</li>
 * <li>{@link #failNext} makes the next calls of one {@link Operation} throw {@link StoreException}
 *     and change nothing, as a failed disk write would; {@link #calls} and {@link #completed}
 *     count what the engine asked and what was recorded, so a test can assert that a change was
 *     persisted. The plan and the counts live as long as the instance, across restarts.</li>
 * </ul>
 *
 * <p>Threading: every method is safe from any thread; one lock serializes them all.
 *
 * <p>Misuse: {@link #add}, {@link #update}, {@link #remove} or {@link #content} before the first
 * {@link #recover}, or {@link #recover} on an open store, throw {@link IllegalStateException}
 * naming the state. After {@link #close} the writes throw {@link StoreException} and
 * {@link #content} {@link StoreException}, as a closed disk store does, so an engine still running
 * at close sees what it would see in production. Adding an id already stored, or updating a
 * recipient number the message does not have, throws {@link IllegalArgumentException} and
 * changes nothing: the SPI leaves both undefined, and an engine that does either has a bug.
 */
public final class MemoryStore implements MessageStore {

    /** What {@link #sizeBytes} counts for a message besides its content: its envelope and statuses, roughly. */
    public static final int MESSAGE_OVERHEAD_BYTES = 256;

    /** The calls that {@link #failNext} can make fail and that {@link #calls} counts. */
    public enum Operation { ADD, UPDATE, REMOVE }

    private enum State { NEW, OPEN, CLOSED }

    /** A live message and its own copy of the content, replaced whole by an update. */
    private record Entry(StoredMessage message, byte[] content) {
    }

    private final long maxBytes;
    private final Object lock = new Object();
    private final Map<String, Entry> messages = new LinkedHashMap<>(); // add order; an update replaces in place
    private final Map<Operation, Integer> plannedFailures = new EnumMap<>(Operation.class);
    private final Set<String> frozenDestinations = new TreeSet<>();
    private final Map<Operation, Long> calls = new EnumMap<>(Operation.class);
    private final Map<Operation, Long> completed = new EnumMap<>(Operation.class);
    private State state = State.NEW;
    private long sizeBytes;

    /** A store with no size limit. */
    public MemoryStore() {
        this(Long.MAX_VALUE);
    }

    /** A store that refuses an add that would take {@link #sizeBytes} past {@code maxBytes} (0 or more). */
    public MemoryStore(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes is " + maxBytes + ": a store's limit is 0 bytes or more");
        }
        this.maxBytes = maxBytes;
    }

    /**
     * From now on, the next {@code count} calls of {@code operation} on an open store throw
     * {@link StoreException} and change nothing, whatever their id (a call also refused for
     * misuse is refused for that, and does not use up a failure). Replaces what was planned for
     * {@code operation}; {@code count} 0 cancels it.
     */
    public void failNext(Operation operation, int count) {
        Objects.requireNonNull(operation, "operation");
        if (count < 0) {
            throw new IllegalArgumentException("cannot fail the next " + count + " calls of " + name(operation) + ": give 0 or more");
        }
        synchronized (lock) {
            plannedFailures.put(operation, count);
        }
    }

    /** Calls of {@code operation} since the store was made, those that threw included. */
    public long calls(Operation operation) {
        synchronized (lock) {
            return calls.getOrDefault(operation, 0L);
        }
    }

    /**
     * Calls of {@code operation} since the store was made that returned normally: what an engine
     * was told is on stable storage (an update or removal of an id not stored included).
     */
    public long completed(Operation operation) {
        synchronized (lock) {
            return completed.getOrDefault(operation, 0L);
        }
    }

    @Override
    public void recover(RecoverySink sink) {
        Objects.requireNonNull(sink, "sink");
        List<Entry> live = new ArrayList<>();
        synchronized (lock) {
            if (state == State.OPEN) {
                throw new IllegalStateException("recover() on a memory store that is " + state + ": close() it first, as a restart does");
            }
            state = State.OPEN;
            live.addAll(messages.values());
        }
        live.forEach(entry -> sink.accept(entry.message(), entryOf(entry.message().id(), entry.content().length)));
    }

    @Override
    public StoreEntry add(StoredMessage message, byte[] content) throws QueueFullException {
        return add(message, content, true);
    }

    /** As {@link #add}, past the limit: a notice is never refused for the store's size. */
    @Override
    public StoreEntry addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        return add(message, content, false);
    }

    /** An entry for message {@code id}: this store keeps its messages by id, and reads nothing else of it. */
    private static StoreEntry entryOf(String id, int contentLength) {
        StoreEntry entry = new StoreEntry.Own(id);
        entry.contentLength(contentLength);
        return entry;
    }

    private StoreEntry add(StoredMessage message, byte[] content, boolean withinLimit) throws QueueFullException {
        String id = message.id();
        Objects.requireNonNull(content, () -> "content of message " + id);
        synchronized (lock) {
            begin(Operation.ADD, id);
            if (messages.containsKey(id)) {
                throw new IllegalArgumentException("cannot add message " + id + ": the memory store holds a message of that id already");
            }
            failIfPlanned(Operation.ADD, id);
            long needed = MESSAGE_OVERHEAD_BYTES + (long) content.length;
            if (withinLimit && sizeBytes + needed > maxBytes) {
                throw new QueueFullException("message " + id + " not queued: the memory store holds " + sizeBytes
                        + " bytes and may hold " + maxBytes + "; it needs " + needed + " more");
            }
            messages.put(id, new Entry(message, content.clone()));
            sizeBytes += needed;
            end(Operation.ADD);
        }
        return entryOf(id, content.length);
    }

    @Override
    public void update(StoreEntry stored, List<RecipientChange> changes, boolean delayNoticeSent) {
        String id = stored.id();
        Objects.requireNonNull(changes, () -> "changes of message " + id);
        synchronized (lock) {
            begin(Operation.UPDATE, id);
            Entry entry = messages.get(id);
            StoredMessage updated = entry == null ? null : applied(entry.message(), changes, delayNoticeSent); // checked before anything changes
            failIfPlanned(Operation.UPDATE, id);
            if (updated != null) {
                messages.put(id, new Entry(updated, entry.content()));
            }
            end(Operation.UPDATE);
        }
    }

    @Override
    public void remove(StoreEntry stored) {
        String id = stored.id();
        synchronized (lock) {
            begin(Operation.REMOVE, id);
            failIfPlanned(Operation.REMOVE, id);
            Entry entry = messages.remove(id);
            if (entry != null) {
                sizeBytes -= MESSAGE_OVERHEAD_BYTES + (long) entry.content().length;
            }
            end(Operation.REMOVE);
        }
    }

    @Override
    public byte[] content(StoreEntry stored) {
        String id = stored.id();
        Entry entry;
        synchronized (lock) {
            if (state == State.NEW) {
                throw notRecovered("read", id);
            }
            if (state == State.CLOSED) {
                throw new StoreException("cannot read message " + id + ": the memory store is closed");
            }
            entry = messages.get(id);
        }
        if (entry == null) {
            throw new StoreException("message " + id + " is not in the memory store");
        }
        return entry.content().clone(); // the stored copy is never written after add
    }

    @Override
    public Set<String> frozenDestinations() {
        synchronized (lock) {
            return new TreeSet<>(frozenDestinations);
        }
    }

    @Override
    public void saveFrozenDestinations(Set<String> destinations) {
        synchronized (lock) {
            frozenDestinations.clear();
            frozenDestinations.addAll(destinations);
        }
    }

    @Override
    public int messageCount() {
        synchronized (lock) {
            return messages.size();
        }
    }

    /** Contents of the messages stored, plus {@link #MESSAGE_OVERHEAD_BYTES} for each. */
    @Override
    public long sizeBytes() {
        synchronized (lock) {
            return sizeBytes;
        }
    }

    /** Always 0: nothing in memory is torn or fails a checksum. */
    @Override
    public long corruptRecords() {
        return 0;
    }

    /** Ends this run, keeping every message: {@link #recover} starts the next. Closing a closed store does nothing. */
    @Override
    public void close() {
        synchronized (lock) {
            if (state == State.OPEN) {
                state = State.CLOSED;
            }
        }
    }

    /** Counts the call, then refuses it unless the store is open. */
    private void begin(Operation operation, String id) {
        calls.merge(operation, 1L, Long::sum);
        if (state == State.NEW) {
            throw notRecovered(name(operation), id);
        }
        if (state == State.CLOSED) {
            throw new StoreException("cannot " + name(operation) + " message " + id + ": the memory store is closed; recover() it to restart");
        }
    }

    private void end(Operation operation) {
        completed.merge(operation, 1L, Long::sum);
    }

    private void failIfPlanned(Operation operation, String id) {
        int left = plannedFailures.getOrDefault(operation, 0);
        if (left > 0) {
            plannedFailures.put(operation, left - 1);
            throw new StoreException("injected failure to " + name(operation) + " message " + id + " in the memory store ("
                    + (left - 1) + " more planned)");
        }
    }

    private static IllegalStateException notRecovered(String what, String id) {
        return new IllegalStateException("cannot " + what + " message " + id + ": the memory store is " + State.NEW
                + ", call recover() first");
    }

    /** {@code message} with {@code changes} applied, or IllegalArgumentException naming a recipient it does not have. */
    private static StoredMessage applied(StoredMessage message, List<RecipientChange> changes, boolean delayNoticeSent) {
        List<RecipientStatus> statuses = new ArrayList<>(message.statuses());
        for (RecipientChange change : changes) {
            if (change.recipient() < 0 || change.recipient() >= statuses.size()) {
                throw new IllegalArgumentException("cannot update recipient " + change.recipient() + " of message " + message.id()
                        + ": it has " + statuses.size() + " recipients");
            }
            statuses.set(change.recipient(), change.status());
        }
        return new StoredMessage(message.id(), message.submitMillis(), message.expiryMillis(), message.envelope(), statuses,
                message.delayNoticeSent() || delayNoticeSent);
    }

    private static String name(Operation operation) {
        return operation.name().toLowerCase(Locale.ROOT);
    }
}
