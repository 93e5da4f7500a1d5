package dev.outbox.store;

import dev.outbox.api.Envelope;
import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.done;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.TestMessages.withStatuses;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The contract of {@link MessageStore} that every store runs: what is added, updated and removed
 * is exactly what a store opened again on the same place recovers, in the order added, content
 * byte for byte.
 *
 * <p>An implementation's test class implements this interface and {@link #createStore}; each
 * default test gets a fresh directory. "Reopen" means: close the store, then create a new one on
 * the same directory and recover it, as a server restart does. A store that keeps nothing on disk
 * gives back, for a directory it has seen, the instance it made for it, closed: for such a store,
 * recovering that instance again is the restart.
 */
public interface MessageStoreContract {

    /** Creates, without recovering it, a store kept in {@code directory} that refuses adds past {@code maxBytes}. */
    MessageStore createStore(Path directory, long maxBytes);

    /** A store just created and recovered, and the messages recovery gave back in order. */
    record Opened(ById store, List<StoredMessage> recovered) implements AutoCloseable {

        public List<String> recoveredIds() {
            return recovered.stream().map(StoredMessage::id).toList();
        }

        @Override
        public void close() {
            store.close();
        }
    }

    /** Creates a store on {@code directory} with no size limit and recovers it. */
    default Opened open(Path directory) {
        return open(directory, Long.MAX_VALUE);
    }

    /** Creates a store on {@code directory} refusing adds past {@code maxBytes} and recovers it. */
    default Opened open(Path directory, long maxBytes) {
        ById store = new ById(createStore(directory, maxBytes));
        List<StoredMessage> recovered = new ArrayList<>();
        store.recover((m, length) -> recovered.add(m));
        return new Opened(store, recovered);
    }

    /** Closes {@code store} and opens the same directory again, as a restart does. */
    default Opened reopen(ById store, Path directory) {
        store.close();
        return open(directory);
    }

    @Test
    default void recoveryGivesEachMessageTheLengthOfItsContent(@TempDir Path directory) throws Exception {
        Map<String, Integer> added = new LinkedHashMap<>();
        added.put("m-short", 1);
        added.put("m-medium", 700);
        added.put("m-long", 70_000);
        ById store = open(directory).store();
        for (Map.Entry<String, Integer> m : added.entrySet()) {
            store.add(message(m.getKey(), 2), content(m.getKey(), m.getValue()));
        }
        store.close();
        ById again = new ById(createStore(directory, Long.MAX_VALUE));
        try {
            Map<String, Integer> recovered = new LinkedHashMap<>();
            again.recover((m, length) -> recovered.put(m.id(), length));
            assertEquals(added, recovered, "each message's content length, as recovery hands it over");
            for (String id : added.keySet()) {
                assertEquals(again.contentLength(id), recovered.get(id), "as contentLength says for " + id);
            }
        } finally {
            again.close();
        }
    }

    @Test
    default void addedMessageIsRecoveredWholeAfterReopen(@TempDir Path directory) throws Exception {
        StoredMessage single = message("m-single", 1);
        StoredMessage three = withStatuses(message("m-three", 3),
                List.of(deferred(TestMessages.SUBMIT_MILLIS + 60_000, 2), RecipientStatus.QUEUED, done(RecipientState.DELIVERED, 1)));
        StoredMessage bounce = new StoredMessage("m-bounce", 42, 43, Envelope.of("", "postmaster@example.net"),
                List.of(new RecipientStatus(RecipientState.FROZEN, 0, 0)));
        List<StoredMessage> added = List.of(single, three, bounce);
        try (Opened opened = open(directory)) {
            assertEquals(List.of(), opened.recovered(), "a new store recovers nothing");
            for (StoredMessage m : added) {
                opened.store().add(m, content(m.id(), 700));
            }
            for (StoredMessage m : added) {
                assertArrayEquals(content(m.id(), 700), opened.store().content(m.id()), "content of " + m.id() + " as soon as add returned");
                assertEquals(content(m.id(), 700).length, opened.store().contentLength(m.id()), "content length of " + m.id());
            }
            assertEquals(-1, opened.store().contentLength("no-such-id"));
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(added, again.recovered(), "id, times, envelope and statuses after reopen");
                for (StoredMessage m : added) {
                    assertArrayEquals(content(m.id(), 700), again.store().content(m.id()), "content of " + m.id() + " after reopen");
                }
            }
        }
    }

    @Test
    default void frozenDestinationsSurviveReopenAndTheLastSaveWins(@TempDir Path directory) {
        try (Opened opened = open(directory)) {
            assertEquals(Set.of(), opened.store().frozenDestinations(), "a new store has none frozen");
            opened.store().saveFrozenDestinations(Set.of("relay.example:25", "[2001:db8::1]:2525"));
            opened.store().saveFrozenDestinations(Set.of("relay.example:25", "mx.example.org:25"));
            assertEquals(Set.of("relay.example:25", "mx.example.org:25"), opened.store().frozenDestinations(), "as soon as saved");
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(Set.of("relay.example:25", "mx.example.org:25"), again.store().frozenDestinations(), "after reopen");
                again.store().saveFrozenDestinations(Set.of());
                try (Opened third = reopen(again.store(), directory)) {
                    assertEquals(Set.of(), third.store().frozenDestinations(), "all unfrozen, after reopen");
                }
            }
        }
    }

    @Test
    default void updatesSurviveReopenAndTheLastStatusWins(@TempDir Path directory) throws Exception {
        StoredMessage m = message("m-updated", 3);
        StoredMessage other = message("m-other", 2);
        try (Opened opened = open(directory)) {
            opened.store().add(m, content(m.id(), 300));
            opened.store().add(other, content(other.id(), 300));
            opened.store().update(m.id(), List.of(new RecipientChange(0, deferred(1_000, 1))));
            opened.store().update(m.id(), List.of(new RecipientChange(0, deferred(2_000, 2)), new RecipientChange(1, done(RecipientState.BOUNCED, 1))));
            opened.store().update(other.id(), List.of(new RecipientChange(1, new RecipientStatus(RecipientState.FROZEN, 0, 0))));
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(List.of(
                        withStatuses(m, List.of(deferred(2_000, 2), done(RecipientState.BOUNCED, 1), RecipientStatus.QUEUED)),
                        withStatuses(other, List.of(RecipientStatus.QUEUED, new RecipientStatus(RecipientState.FROZEN, 0, 0)))), again.recovered());
                // Updates after a reopen apply on top of the recovered statuses.
                again.store().update(m.id(), List.of(new RecipientChange(0, done(RecipientState.DELIVERED, 3))));
                try (Opened third = reopen(again.store(), directory)) {
                    assertEquals(withStatuses(m, List.of(done(RecipientState.DELIVERED, 3), done(RecipientState.BOUNCED, 1), RecipientStatus.QUEUED)),
                            third.recovered().get(0));
                    assertArrayEquals(content(m.id(), 300), third.store().content(m.id()));
                }
            }
        }
    }

    /**
     * What a DSN needs (each recipient's last reply, host, attempt time and notice owed; the
     * message's delay-notice mark) comes back as added and as last updated; the mark, once set,
     * stays set.
     */
    @Test
    default void dsnFieldsAndTheDelayNoticeMarkSurviveReopen(@TempDir Path directory) throws Exception {
        RecipientStatus replied = deferred(5_000, 1).withReply(451, "4.3.0 try again later, \u00e9t\u00e9", "mx1.example.com")
                .withLastAttempt(4_000);
        StoredMessage added = withStatuses(message("m-dsn", 3), List.of(replied, RecipientStatus.QUEUED,
                done(RecipientState.BOUNCED, 1).withReply(550, "5.1.1 no such user", "[192.0.2.7]").withLastAttempt(4_001).withNoticePending(true)));
        StoredMessage plain = message("m-plain", 1);
        RecipientStatus later = deferred(9_000, 2).withReply(421, "", "mx2.example.com").withLastAttempt(8_000).withNoticePending(true);
        RecipientStatus queuedNotice = done(RecipientState.BOUNCED, 1).withReply(550, "5.1.1 no such user", "[192.0.2.7]")
                .withLastAttempt(4_001); // its DSN is queued: no longer owed
        try (Opened opened = open(directory)) {
            opened.store().add(added, content(added.id(), 100));
            opened.store().add(plain.withDelayNoticeSent(), content(plain.id(), 100));
            opened.store().update(added.id(), List.of(new RecipientChange(0, later)), true);
            opened.store().update(added.id(), List.of(new RecipientChange(2, queuedNotice)), false); // leaves the mark set
            try (Opened again = reopen(opened.store(), directory)) {
                StoredMessage expected = withStatuses(added, List.of(later, RecipientStatus.QUEUED, queuedNotice)).withDelayNoticeSent();
                assertEquals(List.of(expected, plain.withDelayNoticeSent()), again.recovered());
                // The mark alone, with no recipient changed.
                StoredMessage other = message("m-mark-only", 2);
                again.store().add(other, content(other.id(), 50));
                again.store().update(other.id(), List.of(), true);
                try (Opened third = reopen(again.store(), directory)) {
                    assertEquals(List.of(expected, plain.withDelayNoticeSent(), other.withDelayNoticeSent()), third.recovered());
                }
            }
        }
    }

    @Test
    default void removeSurvivesReopen(@TempDir Path directory) throws Exception {
        try (Opened opened = open(directory)) {
            for (String id : List.of("a", "b", "c")) {
                opened.store().add(message(id, 1), content(id, 200));
            }
            opened.store().update("b", List.of(new RecipientChange(0, done(RecipientState.DELIVERED, 1))));
            opened.store().remove("b");
            assertEquals(2, opened.store().messageCount());
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(List.of("a", "c"), again.recoveredIds());
                again.store().remove("a");
                try (Opened third = reopen(again.store(), directory)) {
                    assertEquals(List.of("c"), third.recoveredIds());
                    assertArrayEquals(content("c", 200), third.store().content("c"));
                }
            }
        }
    }

    @Test
    default void recoveryFollowsAddOrder(@TempDir Path directory) {
        List<String> order = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            order.add("order-" + ((i * 17) % 40)); // neither sorted nor in hash order
        }
        try (Opened opened = open(directory)) {
            for (String id : order) {
                addQuietly(opened.store(), message(id, 2), content(id, 100));
            }
            // Changes in another order must not move a message.
            for (int i = order.size() - 1; i >= 0; i -= 3) {
                opened.store().update(order.get(i), List.of(new RecipientChange(1, deferred(i, 1))));
            }
            for (int i = 0; i < order.size(); i += 5) {
                opened.store().remove(order.get(i));
            }
            List<String> expected = new ArrayList<>(order);
            for (int i = 0; i < order.size(); i += 5) {
                expected.remove(order.get(i));
            }
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(expected, again.recoveredIds());
            }
        }
    }

    @Test
    default void largeAndEmptyContentRoundTrip(@TempDir Path directory) throws Exception {
        byte[] large = content("large", 64 * 1024);
        try (Opened opened = open(directory)) {
            opened.store().add(message("large", 1), large);
            opened.store().add(message("empty", 1), new byte[0]);
            assertArrayEquals(large, opened.store().content("large"));
            assertArrayEquals(new byte[0], opened.store().content("empty"));
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(List.of("large", "empty"), again.recoveredIds());
                assertArrayEquals(large, again.store().content("large"));
                byte[] empty = again.store().content("empty");
                assertNotNull(empty, "content of an empty body is an empty array, not null");
                assertEquals(0, empty.length);
            }
        }
    }

    @Test
    default void messageCountCountsMessagesAddedAndNotRemoved(@TempDir Path directory) {
        try (Opened opened = open(directory)) {
            assertEquals(0, opened.store().messageCount());
            for (int i = 0; i < 5; i++) {
                addQuietly(opened.store(), message("count-" + i, 1), content("count-" + i, 50));
                assertEquals(i + 1, opened.store().messageCount());
            }
            opened.store().remove("count-1");
            opened.store().remove("count-3");
            assertEquals(3, opened.store().messageCount());
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(3, again.store().messageCount());
                assertEquals(List.of("count-0", "count-2", "count-4"), again.recoveredIds());
            }
        }
    }

    @Test
    default void updateAndRemoveOfUnknownIdsAreIgnored(@TempDir Path directory) {
        StoredMessage kept = message("kept", 1);
        try (Opened opened = open(directory)) {
            addQuietly(opened.store(), kept, content("kept", 80));
            addQuietly(opened.store(), message("gone", 1), content("gone", 80));
            opened.store().remove("gone");
            opened.store().update("never-added", List.of(new RecipientChange(0, deferred(5, 1))));
            opened.store().remove("never-added");
            opened.store().update("gone", List.of(new RecipientChange(0, deferred(5, 1))));
            opened.store().remove("gone");
            assertEquals(1, opened.store().messageCount());
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(List.of(kept), again.recovered(), "nothing resurrected, nothing invented, the kept message untouched");
            }
        }
    }

    @Test
    default void queueFullRefusesTheMessageAndKeepsNothingOfIt(@TempDir Path directory) throws Exception {
        long maxBytes = 32 * 1024;
        List<String> accepted = new ArrayList<>();
        try (Opened opened = open(directory, maxBytes)) {
            String refused = null;
            for (int i = 0; i < 100 && refused == null; i++) {
                String id = "fill-" + i;
                try {
                    opened.store().add(message(id, 2), content(id, 1000));
                    accepted.add(id);
                } catch (QueueFullException e) {
                    refused = id;
                }
            }
            assertNotNull(refused, "100 messages of 1000 bytes were all accepted by a store of " + maxBytes + " bytes");
            assertTrue(accepted.size() >= 10, "only " + accepted.size() + " messages of 1000 bytes fit in " + maxBytes + " bytes");
            assertEquals(accepted.size(), opened.store().messageCount(), "the refused message is not counted");
            assertTrue(opened.store().sizeBytes() <= maxBytes, "store of " + opened.store().sizeBytes() + " bytes, limit " + maxBytes);
            try (Opened again = reopen(opened.store(), directory)) {
                assertEquals(accepted, again.recoveredIds(), "everything accepted and nothing of " + refused + " recovered");
                for (String id : accepted) {
                    assertArrayEquals(content(id, 1000), again.store().content(id));
                }
            }
        }
    }

    @Test
    default void storeFilledToTheBrimNeverGrowsPastMaxBytes(@TempDir Path directory) {
        long maxBytes = 20_000;
        try (Opened opened = open(directory, maxBytes)) {
            int size = 2048;
            int accepted = 0;
            // One byte less each time a message is refused, down to an empty one: that fills the last byte there is.
            for (int n = 0; size >= 0; n++) {
                String id = "brim-" + n;
                try {
                    opened.store().add(message(id, 1), content(id, size));
                    accepted++;
                    assertTrue(opened.store().sizeBytes() <= maxBytes,
                            "after adding " + id + " (" + size + " bytes of content) the store holds " + opened.store().sizeBytes()
                                    + " bytes, past its limit of " + maxBytes);
                } catch (QueueFullException e) {
                    size--;
                }
            }
            assertTrue(accepted >= 5, "only " + accepted + " messages fit in " + maxBytes + " bytes");
            assertEquals(accepted, opened.store().messageCount());
        }
    }

    /** Adds where a test does not expect a full store; fails the test if it is full. */
    private static void addQuietly(ById store, StoredMessage message, byte[] content) {
        try {
            store.add(message, content);
        } catch (QueueFullException e) {
            fail("store unexpectedly full adding " + message.id(), e);
        }
    }
}
