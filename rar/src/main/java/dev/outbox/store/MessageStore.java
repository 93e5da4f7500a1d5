package dev.outbox.store;

import dev.outbox.api.QueueFullException;

import java.util.List;
import java.util.Set;

/**
 * Where queued messages live while they are not finished: the storage SPI every store
 * implements, and the only way the queue engine touches disk.
 *
 * <p>A store keeps no index of its messages in memory: it hands out a {@link StoreEntry} for each
 * message it adds or recovers, and its caller keeps that (or its own object that took it over)
 * and passes it back to update, remove or read the message.
 *
 * <p>The promise is in the return: {@link #add}, {@link #update} and {@link #remove} return
 * only once what they record is on stable storage, and a crash at any moment leaves each of
 * them either done whole or not done at all. Many threads may call them at once; a store
 * shares one sync among concurrent callers (group commit).
 *
 * <p>Order of use: {@link #liveEntries} and {@link #recover} once, then the rest, then
 * {@link #close}. An update or removal of a message already removed is ignored.
 *
 * <p>Failures: every method reports a failure of the storage as one unchecked type,
 * {@link StoreException}, whose message names the id and the file (or table); callers catch
 * that one type. The only other exception is {@link QueueFullException} from {@link #add}, a
 * checked one, because the application that submits must decide what to do when it comes.
 */
public interface MessageStore extends AutoCloseable {

    /**
     * Replays every message added and not removed, oldest first (a store may give a message
     * it moved internally at the place it moved it to), with each recipient's last recorded
     * status, its delay-notice mark and its content's length. Records that are torn or fail their
     * checksum are set aside and reported, never replayed and never fatal to the rest.
     */
    void recover(RecoverySink sink);

    /** Where {@link #recover} hands the messages it replays, one at a time, from the thread that called it. */
    @FunctionalInterface
    interface RecoverySink {
        /**
         * Takes one recovered message and its entry, through which it is updated, removed and read
         * from now on (the sink may call the store with it at once).
         */
        void accept(StoredMessage message, StoreEntry entry);
    }

    /**
     * Every entry its caller holds for a message of this store (the queue: each live message), for
     * a store that must find the messages of one part of itself (the journal, to empty an old
     * segment). A store calls it from any thread; an entry missed costs that store only space.
     */
    @FunctionalInterface
    interface LiveEntries {
        void forEach(java.util.function.Consumer<? super StoreEntry> action);
    }

    /** Tells the store where its live entries are found; before {@link #recover}. A store that needs none ignores it. */
    default void liveEntries(LiveEntries entries) {
    }

    /**
     * Stores a new message and its content. Returns once both are on stable storage, with the
     * message's entry.
     *
     * @throws QueueFullException when the store's size limit or the disk has no room; nothing
     *                            of the message is kept. The limit is checked before the write,
     *                            so concurrent adds may pass it by at most their own size.
     * @throws StoreException     when the disk failed; the message is not recovered later either
     *                            (part of a failed write may reach the disk all the same, so a
     *                            store records that it is withdrawn), unless the exception's
     *                            message says it may be
     */
    StoreEntry add(StoredMessage message, byte[] content) throws QueueFullException;

    /**
     * Stores a delivery status notice the queue owes a sender, as {@link #add} does, except that
     * the store's size limit does not refuse it (only the disk's room does): the limit is what
     * refuses submits, and the finished message a notice reports leaves the store only once the
     * notice is in it, so a store filled by mail that then failed would otherwise never drain. A
     * store whose limit is the disk alone need not override it.
     *
     * @throws QueueFullException when the disk has no room
     */
    default StoreEntry addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        return add(message, content);
    }

    /** Records new statuses for recipients of the message of {@code entry}. Returns once on stable storage. */
    default void update(StoreEntry entry, List<RecipientChange> changes) {
        update(entry, changes, false);
    }

    /**
     * Records new statuses for recipients of the message of {@code entry} and, if {@code delayNoticeSent},
     * that its delay notice is durably queued, all in one: after a crash either all of it is
     * recovered or none. The mark is never cleared ({@code false} leaves it as it was); changes may
     * be empty when only the mark is set. Returns once on stable storage.
     */
    void update(StoreEntry entry, List<RecipientChange> changes, boolean delayNoticeSent);

    /**
     * Forgets the message of {@code entry}, every recipient of which is final. Returns once on
     * stable storage; the space is reclaimed later.
     */
    void remove(StoreEntry entry);

    /**
     * Reads back the content of the message of {@code entry} from stable storage.
     *
     * @throws StoreException when the storage cannot be read, or the message is not stored
     *                        (already removed, or the store is closed)
     */
    byte[] content(StoreEntry entry);

    /**
     * The destinations (transfer queue names) an operator froze, as last saved; empty for a new
     * store. Stores keep them beside the messages, so a frozen queue stays frozen across a restart.
     */
    Set<String> frozenDestinations();

    /** Saves {@code destinations} as the frozen ones, replacing the set saved before. Returns once on stable storage. */
    void saveFrozenDestinations(Set<String> destinations);

    /** Messages stored and not removed. */
    int messageCount();

    /** Bytes the store occupies on disk, reclaimable space included. */
    long sizeBytes();

    /**
     * Records of the store's own making that it found torn or corrupt, and set aside instead of
     * replaying, since it was opened: for the journal, records that failed their checksum or did
     * not decode. A store that keeps no records of its own format, because what it stores in
     * checks its own data (a database), returns 0; damage there fails the call that meets it
     * with {@link StoreException}. Operators read it; the engine never branches on it.
     */
    long corruptRecords();

    @Override
    void close();
}
