package dev.outbox.store;

import dev.outbox.api.QueueFullException;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A store called by message id, as tests call it: keeps the entry of each message added or
 * recovered through it, and gives the store those as its live entries (the engine gives its
 * messages). An update or removal of an id it has no entry for is ignored; reading one throws
 * {@link StoreException}, as a store does for a message it no longer holds. Thread-safe.
 */
public final class ById implements AutoCloseable {

    /** What {@link #recover} hands on: a message and the length of its content. */
    @FunctionalInterface
    public interface Sink {
        void accept(StoredMessage message, int contentLength);
    }

    private final MessageStore store;
    private final Map<String, StoreEntry> entries = new ConcurrentHashMap<>();

    public ById(MessageStore store) {
        this.store = store;
        store.liveEntries(action -> entries.values().forEach(action));
    }

    /** The store beneath. */
    public MessageStore store() {
        return store;
    }

    /** The entry of message {@code id}, or null. */
    public StoreEntry entry(String id) {
        return entries.get(id);
    }

    public void recover(Sink sink) {
        store.recover((message, entry) -> {
            entries.put(message.id(), entry);
            sink.accept(message, entry.contentLength());
        });
    }

    public void add(StoredMessage message, byte[] content) throws QueueFullException {
        entries.put(message.id(), store.add(message, content));
    }

    public void addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        entries.put(message.id(), store.addNotice(message, content));
    }

    public void update(String id, List<RecipientChange> changes) {
        update(id, changes, false);
    }

    public void update(String id, List<RecipientChange> changes, boolean delayNoticeSent) {
        StoreEntry entry = entries.get(id);
        if (entry != null) {
            store.update(entry, changes, delayNoticeSent);
        }
    }

    public void remove(String id) {
        StoreEntry entry = entries.get(id);
        if (entry != null) {
            store.remove(entry);
            entries.remove(id, entry);
        }
    }

    public byte[] content(String id) {
        StoreEntry entry = entries.get(id);
        if (entry == null) {
            throw new StoreException("message " + id + " is not in the store");
        }
        return store.content(entry);
    }

    /** The length of message {@code id}'s content, or -1 when it has no entry here. */
    public int contentLength(String id) {
        StoreEntry entry = entries.get(id);
        return entry == null ? -1 : entry.contentLength();
    }

    public Set<String> frozenDestinations() {
        return store.frozenDestinations();
    }

    public void saveFrozenDestinations(Set<String> destinations) {
        store.saveFrozenDestinations(destinations);
    }

    public int messageCount() {
        return store.messageCount();
    }

    public long sizeBytes() {
        return store.sizeBytes();
    }

    public long corruptRecords() {
        return store.corruptRecords();
    }

    @Override
    public void close() {
        store.close();
    }
}
