package dev.outbox.bench;

import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.ForwardingStore;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoredMessage;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * A {@link MessageStore} that hands every call to the store under it and, beside that, tells the
 * merge lane the due time of every recipient the engine defers: the {@code dueMillis} of the
 * {@link RecipientChange} the engine persists for it, jitter included, which is the very value
 * the engine later merges that recipient by. That is how the lane knows each due time exactly
 * without changing or asking the engine: every deferral passes through the store SPI, on stable
 * storage before the engine counts it or tells anyone.
 *
 * <p>Only messages with a recipient that {@code tracked} accepts are followed (their recipients
 * are kept from {@link #add} until {@link #remove}); the others pass through untouched. A
 * deferral is reported after the store under it has taken it, on the engine's thread, holding
 * the message's lock: the observer must be quick and must not call the engine.
 *
 * <p>Threading: as the store under it. Misuse: as the store under it.
 */
final class DueTimeStore extends ForwardingStore {

    /** One recipient deferred, as the engine persisted it. */
    interface Deferrals {
        void deferred(String recipient, long dueMillis, int attempts);
    }

    private final Predicate<String> tracked;
    private final Deferrals deferrals;
    private final Map<String, List<String>> recipientsById = new ConcurrentHashMap<>();

    DueTimeStore(MessageStore store, Predicate<String> tracked, Deferrals deferrals) {
        super(store);
        this.tracked = tracked;
        this.deferrals = deferrals;
    }

    @Override
    public void recover(RecoverySink sink) {
        super.recover((message, length) -> {
            follow(message);
            sink.accept(message, length);
        });
    }

    @Override
    public StoreEntry add(StoredMessage message, byte[] content) throws QueueFullException {
        StoreEntry entry = super.add(message, content);
        follow(message); // the engine admits the message only after add returns: nothing is deferred before this
        return entry;
    }

    @Override
    public StoreEntry addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        StoreEntry entry = super.addNotice(message, content);
        follow(message);
        return entry;
    }

    @Override
    public void update(StoreEntry entry, List<RecipientChange> changes, boolean delayNoticeSent) {
        super.update(entry, changes, delayNoticeSent);
        report(entry.id(), changes);
    }

    @Override
    public void remove(StoreEntry entry) {
        super.remove(entry);
        recipientsById.remove(entry.id());
    }









    private void follow(StoredMessage message) {
        List<String> recipients = message.envelope().recipients();
        if (recipients.stream().anyMatch(tracked)) {
            recipientsById.put(message.id(), recipients);
        }
    }

    private void report(String id, List<RecipientChange> changes) {
        List<String> recipients = recipientsById.get(id);
        if (recipients == null) {
            return;
        }
        for (RecipientChange change : changes) {
            if (change.status().state() == RecipientState.DEFERRED) {
                String recipient = recipients.get(change.recipient());
                if (tracked.test(recipient)) {
                    deferrals.deferred(recipient, change.status().dueMillis(), change.status().attempts());
                }
            }
        }
    }
}
