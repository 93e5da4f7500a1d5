package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.RecipientState;
import dev.outbox.store.MessageStore;
import dev.outbox.store.MessageStoreContract;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.done;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.TestMessages.withStatuses;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** JournalStore keeps the ById contract, and gives back the disk space of finished messages. */
class JournalStoreTest implements MessageStoreContract {

    /** Small segments, so that a few hundred messages span several of them. */
    static final long SEGMENT_BYTES = 64 * 1024;
    static final int MAX_RECORD_BYTES = 1024 * 1024;

    @Override
    public MessageStore createStore(Path directory, long maxBytes) {
        return new JournalStore(directory, SEGMENT_BYTES, maxBytes, MAX_RECORD_BYTES);
    }

    @Test
    void removingEveryMessageDeletesOldSegmentsAndShrinksTheStore(@TempDir Path directory) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Opened opened = open(directory)) {
            ById store = opened.store();
            for (int i = 0; i < 300; i++) {
                String id = "bulk-" + i;
                store.add(message(id, 2), content(id, 1000));
                ids.add(id);
            }
            List<Path> before = segments(directory);
            long sizeBefore = store.sizeBytes();
            assertTrue(before.size() >= 5, "300 messages of 1000 bytes in segments of " + SEGMENT_BYTES + " bytes: " + before);

            for (String id : ids) {
                store.remove(id);
            }
            List<Path> after = segments(directory);
            assertTrue(after.size() <= 2, "segments left after removing everything: " + after);
            assertFalse(Files.exists(before.get(0)), "the oldest segment " + before.get(0) + " is still there");
            assertTrue(store.sizeBytes() < sizeBefore / 2, "store of " + store.sizeBytes() + " bytes, was " + sizeBefore);
            assertTrue(store.sizeBytes() <= 2 * SEGMENT_BYTES, "store of " + store.sizeBytes() + " bytes");
            assertEquals(0, store.messageCount());

            try (Opened again = reopen(store, directory)) {
                assertEquals(List.of(), again.recoveredIds());
                assertEquals(0, again.store().messageCount());
                assertTrue(again.store().sizeBytes() <= 2 * SEGMENT_BYTES, "store of " + again.store().sizeBytes() + " bytes after reopen");
            }
        }
    }

    @Test
    void longLivedMessageIsMovedOutOfTheOldestSegmentWithItsLatestStatuses(@TempDir Path directory) throws Exception {
        StoredMessage pin = message("pin", 2);
        byte[] pinContent = content("pin", 3000);
        try (Opened opened = open(directory)) {
            ById store = opened.store();
            store.add(pin, pinContent);
            store.update("pin", List.of(new RecipientChange(0, deferred(1_000, 1))));
            Path oldest = segments(directory).get(0);

            int rounds = 0;
            while (Files.exists(oldest) && rounds < 30) {
                for (int i = 0; i < 40; i++) {
                    String id = "churn-" + rounds + "-" + i;
                    store.add(message(id, 1), content(id, 1000));
                }
                store.update("pin", List.of(new RecipientChange(1, deferred(2_000 + rounds, rounds + 1))));
                for (int i = 0; i < 40; i++) {
                    store.remove("churn-" + rounds + "-" + i);
                }
                rounds++;
            }
            assertFalse(Files.exists(oldest), "after " + rounds + " rounds of 40 messages added and removed, "
                    + oldest + " is still pinned by one live message; segments: " + segments(directory));
            assertEquals(1, store.messageCount());
            assertArrayEquals(pinContent, store.content("pin"), "content of the moved message");
            assertTrue(segments(directory).size() <= 3, "segments left: " + segments(directory));

            // A change after the move, then a restart.
            store.update("pin", List.of(new RecipientChange(0, done(RecipientState.DELIVERED, 2))));
            List<RecipientStatus> latest = List.of(done(RecipientState.DELIVERED, 2), deferred(2_000 + rounds - 1, rounds));
            try (Opened again = reopen(store, directory)) {
                assertEquals(List.of(withStatuses(pin, latest)), again.recovered());
                assertArrayEquals(pinContent, again.store().content("pin"));
                assertFalse(Files.exists(oldest));
                // Still removable after the move: nothing of it comes back.
                again.store().remove("pin");
                try (Opened third = reopen(again.store(), directory)) {
                    assertEquals(List.of(), third.recovered());
                }
            }
        }
    }

    /**
     * Messages of one recipient never tried share one statuses array in the index: a change to
     * one of them (added, or recovered) must not show in another when both are moved and
     * recovered again.
     */
    @Test
    void movedMessagesOfOneRecipientKeepTheirOwnStatuses(@TempDir Path directory) throws Exception {
        try (Opened opened = open(directory)) {
            opened.store().add(message("added-changed", 1), content("added-changed", 500));
            opened.store().add(message("added-untouched", 1), content("added-untouched", 500));
            for (int i = 0; i < 20; i++) { // the first segment mostly dead, so that its live messages are moved
                opened.store().add(message("early-" + i, 1), content("early-" + i, 500));
                opened.store().remove("early-" + i);
            }
            try (Opened recovered = reopen(opened.store(), directory)) {
                ById store = recovered.store();
                store.add(message("late-changed", 1), content("late-changed", 500));
                store.update("added-changed", List.of(new RecipientChange(0, deferred(7_000, 1))));
                store.update("late-changed", List.of(new RecipientChange(0, deferred(8_000, 2))));
                Path oldest = segments(directory).get(0);
                SegmentFiles.churn(store, oldest, "churn-");
                assertFalse(Files.exists(oldest), "the three messages were not moved out of " + oldest);
                try (Opened again = reopen(store, directory)) {
                    Map<String, List<RecipientState>> states = new TreeMap<>();
                    for (StoredMessage message : again.recovered()) {
                        states.put(message.id(), message.statuses().stream().map(RecipientStatus::state).toList());
                    }
                    assertEquals(Map.of("added-changed", List.of(RecipientState.DEFERRED), "added-untouched", List.of(RecipientState.QUEUED),
                            "late-changed", List.of(RecipientState.DEFERRED)), states);
                    assertEquals(List.of(withStatuses(message("added-untouched", 1), List.of(RecipientStatus.QUEUED))),
                            again.recovered().stream().filter(m -> m.id().equals("added-untouched")).toList());
                }
            }
        }
    }

    /** A message moved out of an old segment is written again with its DSN fields and delay-notice mark. */
    @Test
    void aMovedMessageKeepsItsDsnFieldsAndDelayNoticeMark(@TempDir Path directory) throws Exception {
        StoredMessage pin = message("pin-dsn", 2);
        RecipientStatus replied = deferred(1_000, 1).withReply(452, "4.2.2 mailbox full", "mx.example.net").withLastAttempt(900)
                .withNoticePending(true);
        try (Opened opened = open(directory)) {
            ById store = opened.store();
            store.add(pin, content(pin.id(), 2000));
            store.update(pin.id(), List.of(new RecipientChange(0, replied)), true);
            Path oldest = segments(directory).get(0);
            for (int round = 0; Files.exists(oldest) && round < 30; round++) {
                for (int i = 0; i < 40; i++) {
                    store.add(message("churn-" + round + "-" + i, 1), content("churn", 1000));
                }
                for (int i = 0; i < 40; i++) {
                    store.remove("churn-" + round + "-" + i);
                }
            }
            assertFalse(Files.exists(oldest), "the oldest segment " + oldest + " was not reclaimed");
            try (Opened again = reopen(store, directory)) {
                assertEquals(List.of(withStatuses(pin, List.of(replied, RecipientStatus.QUEUED)).withDelayNoticeSent()), again.recovered());
            }
        }
    }

    @Test
    void aMessageWrittenUnderALargerSizeLimitComesBackAfterTheLimitWasLowered(@TempDir Path directory) throws Exception {
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES))) {
            store.recover((m, length) -> { });
            store.add(message("small", 1), content("small", 1000));
            store.add(message("large", 1), content("large", 300_000));
            store.add(message("after", 1), content("after", 1000));
        }
        List<String> recovered = new ArrayList<>();
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, 100_000))) { // the operator lowered the limit
            store.recover((m, length) -> recovered.add(m.id()));
            assertEquals(List.of("small", "large", "after"), recovered);
            assertArrayEquals(content("large", 300_000), store.content("large"));
            assertEquals(0, store.corruptRecords(), "nothing set aside");
        }
    }

    @Test
    void aLargeRecordAfterTheZerosABatchLeavesComesBackAfterTheLimitWasLowered(@TempDir Path directory) throws Exception {
        // As when batch n+1 is laid out while batch n is still being written: it starts at the next block.
        Path file = directory.resolve(String.format("%016x.journal", 1));
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            channel.write(Segment.header(1), 0);
            channel.write(record(100), Journal.SEGMENT_HEADER);
            channel.write(record(300_000), Journal.BLOCK);
            channel.write(record(100), Journal.BLOCK + Journal.RECORD_HEADER + 300_000);
        }
        List<Integer> lengths = new ArrayList<>();
        try (Journal journal = new Journal(directory, 1 << 20, 100_000)) { // the limit, lowered since
            journal.scan((position, body) -> lengths.add(body.capacity()));
            assertEquals(List.of(100, 300_000, 100), lengths);
            assertEquals(0, journal.corruptRecords(), "nothing set aside");
        }
    }

    @Test
    void aMessageOverTheLoweredLimitIsStillMovedOutOfAnOldSegment(@TempDir Path directory) throws Exception {
        long segmentBytes = 320_000;
        try (ById store = new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, MAX_RECORD_BYTES))) {
            store.recover((m, length) -> { });
            store.add(message("large", 1), content("large", 300_000));
            int small = 0;
            while (segments(directory).size() < 2) {
                store.add(message("s" + small, 1), content("s" + small, 1000));
                small++;
            }
            for (int i = 0; i < small; i++) {
                store.remove("s" + i); // the first segment is mostly dead: "large" keeps it
            }
            for (int i = 0; i < 700; i++) {
                store.add(message("f" + i, 1), content("f" + i, 1000));
            }
        }
        Path oldest = segments(directory).get(0);
        try (ById store = new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, 100_000))) { // the limit, lowered since
            List<String> recovered = new ArrayList<>();
            store.recover((m, length) -> recovered.add(m.id()));
            assertTrue(recovered.contains("large"));
            store.add(message("new", 1), content("new", 1000));
            store.remove("new"); // reclaims: "large" is moved out of the oldest segment, by the mover
            ((JournalStore) store.store()).awaitMoves();
            assertFalse(Files.exists(oldest), "the oldest segment " + oldest + " is still there");
            assertArrayEquals(content("large", 300_000), store.content("large"));
        }
        List<String> again = new ArrayList<>();
        try (ById store = new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, 100_000))) {
            store.recover((m, length) -> again.add(m.id()));
            assertTrue(again.contains("large"), "moved, and recovered from where it went");
            assertEquals(0, store.corruptRecords());
        }
    }

    @Test
    void nothingIsWrittenOnceCloseReturnsAndAddsStillWaitingFail(@TempDir Path directory) throws Exception {
        ById store = new ById(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, MAX_RECORD_BYTES));
        store.recover((m, length) -> { });
        ConcurrentLinkedQueue<String> added = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        AtomicInteger refused = new AtomicInteger();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            threads.add(new Thread(() -> {
                for (int i = 0; ; i++) {
                    String id = "t" + thread + "-" + i;
                    try {
                        store.add(message(id, 1), content(id, 2000));
                        added.add(id);
                    } catch (StoreException e) {
                        if (e.getMessage().contains("may be recovered")) {
                            unexpected.add(new AssertionError("a refusal for a record never written says it may come back", e));
                        }
                        refused.incrementAndGet(); // closed: before or while it waited
                        return;
                    } catch (Throwable e) {
                        unexpected.add(e);
                        return;
                    }
                }
            }));
        }
        threads.forEach(Thread::start);
        while (added.size() < 2000) {
            Thread.onSpinWait();
        }
        store.close();
        Map<Path, Long> afterClose = sizes(directory);
        for (Thread thread : threads) {
            thread.join(TimeUnit.SECONDS.toMillis(20));
            assertFalse(thread.isAlive(), "an adder still waits after close");
        }
        assertEquals(List.of(), List.copyOf(unexpected));
        assertEquals(8, refused.get(), "each adder's next add after close failed");
        assertEquals(afterClose, sizes(directory), "journal files changed after close returned");
        List<String> recovered = new ArrayList<>();
        try (ById again = new ById(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, MAX_RECORD_BYTES))) {
            again.recover((m, length) -> recovered.add(m.id()));
        }
        assertEquals(added.stream().sorted().toList(), recovered.stream().sorted().toList());
    }

    private static Map<Path, Long> sizes(Path directory) throws IOException {
        Map<Path, Long> sizes = new TreeMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.toList()) {
                sizes.put(file.getFileName(), Files.size(file));
            }
        }
        return sizes;
    }

    private static ByteBuffer record(int bodyLength) {
        ByteBuffer body = ByteBuffer.wrap(content("r" + bodyLength, bodyLength));
        return ByteBuffer.allocate(Journal.RECORD_HEADER + bodyLength).putInt(Journal.RECORD_MAGIC).putInt(bodyLength)
                .putInt(Journal.checksum(bodyLength, body.duplicate())).put(body).flip();
    }
}
