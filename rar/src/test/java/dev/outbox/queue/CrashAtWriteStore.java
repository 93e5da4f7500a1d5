package dev.outbox.queue;

import dev.outbox.api.QueueFullException;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A store that delegates to a real one (a JournalStore over a directory) and simulates a crash:
 * after {@link #crashAfter} more writes, every write throws {@link StoreException} and reaches
 * nothing, as if the process had died at that write (the test then restarts over a fresh store on
 * the same directory). {@link #failWritesOf} makes the writes of chosen ids fail the same way,
 * {@link #failReadsOf} the reads of their content.
 * {@link #writes} lists the writes that reached the delegate ("add id", "update id", "remove id").
 *
 * <p>Thread-safe as the delegate is; the plan is read on each write.
 */
final class CrashAtWriteStore implements MessageStore {

    private final MessageStore delegate;
    private final List<String> writes = new CopyOnWriteArrayList<>();
    private final List<String> refused = new CopyOnWriteArrayList<>();
    private int writesLeft = Integer.MAX_VALUE;
    private Predicate<String> failing = id -> false;
    private volatile Predicate<String> unreadable = id -> false;

    CrashAtWriteStore(MessageStore delegate) {
        this.delegate = delegate;
    }

    /** From now on, {@code count} more writes succeed; every one after them fails. */
    synchronized CrashAtWriteStore crashAfter(int count) {
        writesLeft = count;
        return this;
    }

    /** Writes of the ids {@code ids} accepts fail, as long as this plan stands. */
    synchronized CrashAtWriteStore failWritesOf(Predicate<String> ids) {
        failing = ids;
        return this;
    }

    /** Reads of the content of the ids {@code ids} accepts fail, as from a damaged disk. */
    CrashAtWriteStore failReadsOf(Predicate<String> ids) {
        unreadable = ids;
        return this;
    }

    synchronized boolean crashed() {
        return writesLeft <= 0 && !refused.isEmpty();
    }

    /** The writes that reached the delegate, in order. */
    List<String> writes() {
        return List.copyOf(writes);
    }

    /** The writes refused, in order. */
    List<String> refused() {
        return List.copyOf(refused);
    }

    private synchronized void write(String what, String id) {
        if (writesLeft <= 0 || failing.test(id)) {
            refused.add(what + " " + id);
            throw new StoreException("simulated crash: " + what + " of message " + id + " never reached the disk");
        }
        if (writesLeft != Integer.MAX_VALUE) {
            writesLeft--;
        }
        writes.add(what + " " + id);
    }

    @Override
    public void liveEntries(LiveEntries entries) {
        delegate.liveEntries(entries);
    }

    @Override
    public void recover(RecoverySink sink) {
        delegate.recover(sink);
    }

    @Override
    public StoreEntry add(StoredMessage message, byte[] content) throws QueueFullException {
        synchronized (this) {
            if (writesLeft <= 0 || failing.test(message.id())) {
                write("add", message.id()); // throws
            }
        }
        StoreEntry entry = delegate.add(message, content);
        write("add", message.id());
        return entry;
    }

    @Override
    public StoreEntry addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        synchronized (this) {
            if (writesLeft <= 0 || failing.test(message.id())) {
                write("add", message.id()); // throws
            }
        }
        StoreEntry entry = delegate.addNotice(message, content);
        write("add", message.id());
        return entry;
    }

    @Override
    public void update(StoreEntry entry, List<RecipientChange> changes, boolean delayNoticeSent) {
        write("update", entry.id());
        delegate.update(entry, changes, delayNoticeSent);
    }

    @Override
    public void remove(StoreEntry entry) {
        write("remove", entry.id());
        delegate.remove(entry);
    }

    @Override
    public byte[] content(StoreEntry entry) {
        if (unreadable.test(entry.id())) {
            throw new StoreException("simulated damage: the content of message " + entry.id() + " cannot be read");
        }
        return delegate.content(entry);
    }

    @Override
    public Set<String> frozenDestinations() {
        return delegate.frozenDestinations();
    }

    @Override
    public void saveFrozenDestinations(Set<String> destinations) {
        write("save", "frozen destinations");
        delegate.saveFrozenDestinations(destinations);
    }

    @Override
    public int messageCount() {
        return delegate.messageCount();
    }

    @Override
    public long sizeBytes() {
        return delegate.sizeBytes();
    }

    @Override
    public long corruptRecords() {
        return delegate.corruptRecords();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
