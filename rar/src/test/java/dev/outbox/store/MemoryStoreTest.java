package dev.outbox.store;

import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.MemoryStore.Operation;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.outbox.store.MemoryStore.MESSAGE_OVERHEAD_BYTES;
import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.done;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.TestMessages.withStatuses;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MemoryStore keeps the MessageStore contract, restarts by being recovered again after close, and fails on demand. */
class MemoryStoreTest implements MessageStoreContract {

    /**
     * One store per directory, so that the contract's reopen recovers the same instance again: a
     * restart, for a store without a disk. It keeps the size limit it was first created with.
     */
    private final Map<Path, MemoryStore> stores = new HashMap<>();

    @Override
    public MessageStore createStore(Path directory, long maxBytes) {
        return stores.computeIfAbsent(directory, d -> new MemoryStore(maxBytes));
    }

    @Test
    void aRestartIsRecoverAgainAfterClose() throws Exception {
        MemoryStore store = new MemoryStore();
        StoredMessage m = message("kept", 2);
        assertThrows(IllegalStateException.class, () -> store.add(m, content("kept", 10)), "add before the first recover");
        assertThrows(IllegalStateException.class, () -> store.content(e("kept")), "content before the first recover");
        store.recover((s, length) -> { });
        assertThrows(IllegalStateException.class, () -> store.recover((s, length) -> { }), "recover while open");
        store.add(m, content("kept", 10));
        store.update(e("kept"), List.of(new RecipientChange(1, deferred(5_000, 1))));
        store.close();
        store.close(); // twice is harmless

        assertThrows(StoreException.class, () -> store.add(message("late", 1), content("late", 10)), "add after close");
        assertThrows(StoreException.class, () -> store.update(e("kept"), List.of()), "update after close");
        assertThrows(StoreException.class, () -> store.remove(e("kept")), "remove after close");
        assertThrows(StoreException.class, () -> store.content(e("kept")), "content after close");
        assertEquals(1, store.messageCount(), "close keeps the messages");

        assertEquals(List.of(withStatuses(m, List.of(RecipientStatus.QUEUED, deferred(5_000, 1)))), restart(store));
        assertArrayEquals(content("kept", 10), store.content(e("kept")));
    }

    @Test
    void anInjectedAddFailureKeepsNothingOfTheMessage() throws Exception {
        MemoryStore store = recovered(new MemoryStore());
        store.add(message("first", 1), content("first", 100));
        long size = store.sizeBytes();
        store.failNext(Operation.ADD, 2);
        for (String id : List.of("fail-1", "fail-2")) {
            StoreException e = assertThrows(StoreException.class, () -> store.add(message(id, 1), content(id, 100)));
            assertTrue(e.getMessage().contains(id), "the failure names the message: " + e.getMessage());
            assertThrows(StoreException.class, () -> store.content(e(id)));
        }
        assertEquals(1, store.messageCount());
        assertEquals(size, store.sizeBytes());
        store.add(message("fail-1", 1), content("fail-1", 100)); // the plan is used up; the id is free again
        store.update(e("first"), List.of(new RecipientChange(0, deferred(1, 1)))); // other operations were never planned to fail
        assertEquals(4, store.calls(Operation.ADD));
        assertEquals(2, store.completed(Operation.ADD));
        assertEquals(List.of("first", "fail-1"), restart(store).stream().map(StoredMessage::id).toList());
    }

    @Test
    void anInjectedUpdateFailureLeavesTheOldStatuses() throws Exception {
        StoredMessage m = message("m", 3);
        MemoryStore store = recovered(new MemoryStore());
        store.add(m, content("m", 100));
        store.update(e("m"), List.of(new RecipientChange(0, deferred(1_000, 1))));
        store.failNext(Operation.UPDATE, 1);
        assertThrows(StoreException.class, () -> store.update(e("m"), List.of(
                new RecipientChange(0, done(RecipientState.DELIVERED, 2)), new RecipientChange(2, done(RecipientState.BOUNCED, 1)))));
        List<RecipientStatus> before = List.of(deferred(1_000, 1), RecipientStatus.QUEUED, RecipientStatus.QUEUED);
        assertEquals(List.of(withStatuses(m, before)), restart(store), "nothing of the failed update");

        store.update(e("m"), List.of(new RecipientChange(2, done(RecipientState.BOUNCED, 1))));
        assertEquals(3, store.calls(Operation.UPDATE));
        assertEquals(2, store.completed(Operation.UPDATE));
        assertEquals(List.of(withStatuses(m, List.of(deferred(1_000, 1), RecipientStatus.QUEUED, done(RecipientState.BOUNCED, 1)))),
                restart(store));
    }

    @Test
    void anInjectedRemoveFailureKeepsTheMessage() throws Exception {
        MemoryStore store = recovered(new MemoryStore());
        store.add(message("m", 1), content("m", 100));
        store.failNext(Operation.REMOVE, 1);
        assertThrows(StoreException.class, () -> store.remove(e("m")));
        assertEquals(1, store.messageCount());
        assertArrayEquals(content("m", 100), store.content(e("m")));
        store.remove(e("m"));
        assertEquals(2, store.calls(Operation.REMOVE));
        assertEquals(1, store.completed(Operation.REMOVE));
        assertEquals(List.of(), restart(store));
    }

    @Test
    void failNextReplacesThePlanAndZeroCancelsIt() throws Exception {
        MemoryStore store = recovered(new MemoryStore());
        store.failNext(Operation.REMOVE, 5);
        store.failNext(Operation.REMOVE, 1);
        assertThrows(StoreException.class, () -> store.remove(e("unknown")), "the next call fails whatever its id");
        store.remove(e("unknown"));
        store.failNext(Operation.ADD, 3);
        store.failNext(Operation.ADD, 0);
        store.add(message("m", 1), content("m", 1));
        assertThrows(IllegalArgumentException.class, () -> store.failNext(Operation.ADD, -1));
    }

    @Test
    void aCallRefusedAsMisuseDoesNotUseUpAnInjectedFailure() throws Exception {
        MemoryStore store = recovered(new MemoryStore());
        store.add(message("m", 2), content("m", 10));
        store.failNext(Operation.UPDATE, 1);
        assertThrows(IllegalArgumentException.class, () -> store.update(e("m"), List.of(new RecipientChange(2, deferred(1, 1)))),
                "recipient 2 of a message of 2");
        assertThrows(StoreException.class, () -> store.update(e("m"), List.of(new RecipientChange(1, deferred(1, 1)))));
        assertThrows(IllegalArgumentException.class, () -> store.add(message("m", 1), content("m", 10)), "an id already stored");
        assertEquals(List.of(message("m", 2)), restart(store));
    }

    @Test
    void anUpdateNamingARecipientTheMessageLacksChangesNothing() {
        StoredMessage m = message("m", 2);
        MemoryStore store = recovered(new MemoryStore());
        addQuietly(store, m, 10);
        assertThrows(IllegalArgumentException.class, () -> store.update(e("m"), List.of(
                new RecipientChange(0, done(RecipientState.DELIVERED, 1)), new RecipientChange(-1, deferred(1, 1)))));
        assertEquals(List.of(m), restart(store));
    }

    @Test
    void contentIsCopiedInAndOut() throws Exception {
        MemoryStore store = recovered(new MemoryStore());
        byte[] given = content("m", 50);
        store.add(message("m", 1), given);
        given[0]++;
        store.content(e("m"))[1]++;
        assertArrayEquals(content("m", 50), store.content(e("m")));
    }

    @Test
    void sizeIsContentPlusOverheadAndTheLimitIsExact() throws Exception {
        MemoryStore store = recovered(new MemoryStore(200 + 3L * MESSAGE_OVERHEAD_BYTES));
        store.add(message("a", 1), content("a", 100));
        store.add(message("b", 1), content("b", 99));
        assertEquals(199 + 2L * MESSAGE_OVERHEAD_BYTES, store.sizeBytes());
        assertThrows(QueueFullException.class, () -> store.add(message("c", 1), content("c", 2)));
        store.add(message("c", 1), content("c", 1));
        assertEquals(200 + 3L * MESSAGE_OVERHEAD_BYTES, store.sizeBytes(), "filled to the last byte");
        store.remove(e("a"));
        assertEquals(100 + 2L * MESSAGE_OVERHEAD_BYTES, store.sizeBytes());
        assertEquals(0, store.corruptRecords());
        assertEquals(List.of("b", "c"), restart(store).stream().map(StoredMessage::id).toList());
        assertEquals(100 + 2L * MESSAGE_OVERHEAD_BYTES, store.sizeBytes(), "a restart keeps the size");
    }

    @Test
    void concurrentCallersLoseNothing() throws Exception {
        MemoryStore store = recovered(new MemoryStore());
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        String id = "t" + thread + "-" + i;
                        addQuietly(store, message(id, 1), 10);
                        store.update(e(id), List.of(new RecipientChange(0, deferred(i, 1))));
                        if (i % 2 == 0) {
                            store.remove(e(id));
                        }
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get(20, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(8 * 100, store.messageCount());
        assertEquals(8 * 100 * (10L + MESSAGE_OVERHEAD_BYTES), store.sizeBytes());
        assertEquals(8 * 200, store.completed(Operation.UPDATE));
        List<StoredMessage> recovered = restart(store);
        assertEquals(8 * 100, recovered.size());
        assertTrue(recovered.stream().allMatch(m -> m.statuses().get(0).state() == RecipientState.DEFERRED), "every update landed");
    }

    private static MemoryStore recovered(MemoryStore store) {
        store.recover((m, length) -> { });
        return store;
    }

    /** Closes {@code store} and recovers it again, as an engine restarted over it does; gives what recovery replayed. */
    private static List<StoredMessage> restart(MemoryStore store) {
        store.close();
        List<StoredMessage> recovered = new ArrayList<>();
        store.recover((m, length) -> recovered.add(m));
        return recovered;
    }

    private static void addQuietly(MemoryStore store, StoredMessage message, int contentBytes) {
        try {
            store.add(message, content(message.id(), contentBytes));
        } catch (QueueFullException e) {
            throw new AssertionError("a store with no limit refused " + message.id(), e);
        }
    }

    /** An entry for message {@code id}: the memory store keeps its messages by id and reads nothing else of an entry. */
    private static StoreEntry e(String id) {
        return new StoreEntry.Own(id);
    }
}
