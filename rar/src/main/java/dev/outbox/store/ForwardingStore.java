package dev.outbox.store;

import dev.outbox.api.QueueFullException;

import java.util.List;
import java.util.Set;

/**
 * A {@link MessageStore} that passes every call to another, for a decorator to override the calls
 * where it puts a hook or a fault (a test's thread held in one call or process dying after one
 * write, the bench's record of due times) and keep the real store's behaviour for the rest,
 * {@link #addNotice} included (a store may take notices past its size limit). Threading and
 * misuse are those of the store beneath.
 */
public abstract class ForwardingStore implements MessageStore {

    private final MessageStore store;

    protected ForwardingStore(MessageStore store) {
        this.store = store;
    }

    @Override
    public void liveEntries(LiveEntries entries) {
        store.liveEntries(entries);
    }

    @Override
    public void recover(RecoverySink sink) {
        store.recover(sink);
    }

    @Override
    public StoreEntry add(StoredMessage message, byte[] content) throws QueueFullException {
        return store.add(message, content);
    }

    @Override
    public StoreEntry addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        return store.addNotice(message, content);
    }

    @Override
    public void update(StoreEntry entry, List<RecipientChange> changes, boolean delayNoticeSent) {
        store.update(entry, changes, delayNoticeSent);
    }

    @Override
    public void remove(StoreEntry entry) {
        store.remove(entry);
    }

    @Override
    public byte[] content(StoreEntry entry) {
        return store.content(entry);
    }

    @Override
    public Set<String> frozenDestinations() {
        return store.frozenDestinations();
    }

    @Override
    public void saveFrozenDestinations(Set<String> destinations) {
        store.saveFrozenDestinations(destinations);
    }

    @Override
    public int messageCount() {
        return store.messageCount();
    }

    @Override
    public long sizeBytes() {
        return store.sizeBytes();
    }

    @Override
    public long corruptRecords() {
        return store.corruptRecords();
    }

    @Override
    public void close() {
        store.close();
    }
}
