package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.MessageStore;
import dev.outbox.store.MessageStoreContract.Opened;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.done;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.TestMessages.withStatuses;
import static dev.outbox.store.journal.SegmentFiles.copy;
import static dev.outbox.store.journal.SegmentFiles.corrupt;
import static dev.outbox.store.journal.SegmentFiles.flip;
import static dev.outbox.store.journal.SegmentFiles.records;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static dev.outbox.store.journal.SegmentFiles.size;
import static dev.outbox.store.journal.SegmentFiles.truncate;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A torn or corrupt record or segment header costs only what it holds: it is set aside once, counted once, and the rest is recovered whole. */
class JournalCorruptionTest {

    private static final int CONTENT = 200;

    private static Opened open(Path directory, long segmentBytes) {
        ById store = new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, 1024 * 1024));
        List<StoredMessage> recovered = new ArrayList<>();
        store.recover((m, length) -> recovered.add(m));
        return new Opened(store, recovered);
    }

    private static Opened open(Path directory) {
        return open(directory, 1024 * 1024);
    }

    private static void add(ById store, StoredMessage message, byte[] content) {
        try {
            store.add(message, content);
        } catch (QueueFullException e) {
            throw new AssertionError(e);
        }
    }

    /** Every message recovered is {@code expected}, in order, and its content is exactly what was added. */
    private static void assertRecovered(List<StoredMessage> expected, Opened opened, String context) throws IOException {
        assertEquals(expected, opened.recovered(), context);
        for (StoredMessage m : expected) {
            assertArrayEquals(content(m.id(), CONTENT), opened.store().content(m.id()), context + ": content of " + m.id());
        }
    }

    @Test
    void tornLastRecordAtAnyOffsetLosesThatRecordOnly(@TempDir Path temp) throws IOException {
        Path pristine = temp.resolve("pristine");
        List<StoredMessage> earlier = new ArrayList<>();
        try (Opened opened = open(pristine)) {
            for (int i = 0; i < 4; i++) {
                StoredMessage m = message("m" + i, 2);
                add(opened.store(), m, content(m.id(), CONTENT));
                earlier.add(m);
            }
            opened.store().update("m1", List.of(new RecipientChange(1, deferred(77, 1))));
            earlier.set(1, withStatuses(earlier.get(1), List.of(earlier.get(1).statuses().get(0), deferred(77, 1))));
            // Small, so that cutting it at every offset stays quick: each start that sets bytes aside syncs a file.
            add(opened.store(), message("torn", 1), content("torn", 16));
        }
        Path segment = segments(pristine).get(0);
        List<SegmentFiles.Record> all = records(segment);
        SegmentFiles.Record last = all.get(all.size() - 1);
        assertEquals(size(segment), last.end());

        for (int cut = 1; cut < last.length(); cut++) {
            Path directory = temp.resolve("cut-" + cut);
            copy(pristine, directory);
            Path torn = directory.resolve(segment.getFileName().toString());
            truncate(torn, last.offset() + cut);
            String context = "last record of " + last.length() + " bytes cut after " + cut;
            try (Opened opened = open(directory)) {
                assertRecovered(earlier, opened, context);
                assertEquals(1, opened.store().corruptRecords(), context);
                List<Path> setAside = corrupt(directory);
                assertEquals(1, setAside.size(), context + ": " + setAside);
                assertEquals(cut, size(setAside.get(0)), context + ": bytes set aside");
            }
        }
    }

    @Test
    void storeGoesOnAfterATornRecordAndCountsItOnlyOnce(@TempDir Path directory) throws IOException {
        List<StoredMessage> kept = new ArrayList<>();
        try (Opened opened = open(directory)) {
            for (String id : List.of("a", "b", "torn")) {
                StoredMessage m = message(id, 1);
                add(opened.store(), m, content(id, CONTENT));
                kept.add(m);
            }
        }
        kept.remove(2);
        Path segment = segments(directory).get(0);
        truncate(segment, size(segment) - 5);
        try (Opened first = open(directory)) {
            assertRecovered(kept, first, "first start after the tear");
            assertEquals(1, first.store().corruptRecords());
            StoredMessage after = message("after", 1);
            add(first.store(), after, content("after", CONTENT));
            first.store().update("a", List.of(new RecipientChange(0, done(RecipientState.DELIVERED, 1))));
            kept.add(after);
            kept.set(0, withStatuses(kept.get(0), List.of(done(RecipientState.DELIVERED, 1))));
        }
        assertEquals(segment, segments(directory).get(0), "the torn segment is kept: it holds live messages");
        for (int start = 2; start <= 3; start++) {
            try (Opened again = open(directory)) {
                assertRecovered(kept, again, "start " + start);
                assertEquals(0, again.store().corruptRecords(), "start " + start + " counted the same tear again");
                assertEquals(1, corrupt(directory).size(), "start " + start + ": " + corrupt(directory));
            }
        }
    }

    @Test
    void flippedByteInAMiddleRecordSetsAsideThatRecordOnly(@TempDir Path temp) throws IOException {
        Path pristine = temp.resolve("pristine");
        try (Opened opened = open(pristine)) {
            for (int i = 0; i < 5; i++) {
                // m2, the one damaged, small: flipping each of its bytes stays quick.
                add(opened.store(), message("m" + i, i == 2 ? 1 : 2), content("m" + i, i == 2 ? 16 : CONTENT));
            }
            opened.store().remove("m0");
            opened.store().update("m1", List.of(new RecipientChange(0, deferred(99, 3))));
        }
        // Records: m0..m4, remove m0, update m1. The middle one, m2, gets the damage; what follows it must still apply.
        List<StoredMessage> expected = List.of(
                withStatuses(message("m1", 2), List.of(deferred(99, 3), message("m1", 2).statuses().get(1))),
                message("m3", 2), message("m4", 2));
        Path segment = segments(pristine).get(0);
        SegmentFiles.Record middle = records(segment).get(2);

        for (int at = 0; at < middle.length(); at++) {
            Path directory = temp.resolve("flip-" + at);
            copy(pristine, directory);
            flip(directory.resolve(segment.getFileName().toString()), middle.offset() + at);
            String context = "byte " + at + " of a record of " + middle.length() + " bytes flipped";
            try (Opened opened = open(directory)) {
                assertRecovered(expected, opened, context);
                assertEquals(1, opened.store().corruptRecords(), context);
                List<Path> setAside = corrupt(directory);
                assertEquals(1, setAside.size(), context + ": " + setAside);
                assertEquals(middle.length(), size(setAside.get(0)), context + ": exactly the damaged record is set aside");
            }
            try (Opened again = open(directory)) {
                assertRecovered(expected, again, context + ", second start");
                assertEquals(0, again.store().corruptRecords(), context + ", second start");
            }
        }
    }

    @Test
    void segmentWithAGarbageHeaderIsSetAsideAndTheOthersRecovered(@TempDir Path directory) throws IOException {
        List<List<StoredMessage>> bySegment = fillSegments(directory, 4);
        Path damaged = segments(directory).get(1);
        long damagedSize = size(damaged);
        Files.write(damaged, "NOT A JOURNAL!!!".getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        List<StoredMessage> expected = new ArrayList<>();
        for (int s = 0; s < bySegment.size(); s++) {
            if (s != 1) {
                expected.addAll(bySegment.get(s));
            }
        }
        try (Opened opened = open(directory)) {
            assertRecovered(expected, opened, "segment 2 of " + bySegment.size() + " with a garbage header");
            assertEquals(1, opened.store().corruptRecords());
            assertFalse(Files.exists(damaged), "the bad segment stays in the journal directory");
            List<Path> setAside = corrupt(directory);
            assertEquals(1, setAside.size(), setAside.toString());
            assertEquals(damagedSize, size(setAside.get(0)), "the whole bad segment is set aside");
        }
        try (Opened again = open(directory)) {
            assertRecovered(expected, again, "second start");
            assertEquals(0, again.store().corruptRecords(), "the bad segment was counted again");
        }
    }

    @Test
    void segmentCutInsideItsHeaderIsSetAsideAndTheStoreGoesOn(@TempDir Path directory) throws IOException {
        List<StoredMessage> expected = new ArrayList<>();
        fillSegments(directory, 2).forEach(expected::addAll);
        // A crash while a new segment was being started: its header is only partly there.
        List<Path> files = segments(directory);
        String name = files.get(files.size() - 1).getFileName().toString();
        long next = Long.parseLong(name.substring(0, name.indexOf('.')), 16) + 1;
        Path cut = directory.resolve(String.format("%016x.journal", next));
        Files.write(cut, new byte[] {0x4F, 0x55, 0x54, 0x42, 0x4F});
        try (Opened opened = open(directory, 4096)) {
            assertRecovered(expected, opened, "after a segment cut inside its header");
            assertEquals(1, opened.store().corruptRecords());
            StoredMessage after = message("after", 1);
            add(opened.store(), after, content("after", CONTENT));
            expected.add(after);
        }
        try (Opened again = open(directory, 4096)) {
            assertRecovered(expected, again, "second start");
            assertEquals(0, again.store().corruptRecords());
        }
    }

    @Test
    void damageInSeveralSegmentsIsCountedOnceEachAndNeverAgain(@TempDir Path directory) throws IOException {
        List<List<StoredMessage>> bySegment = fillSegments(directory, 3);
        List<Path> files = segments(directory);
        // Segment 1: a flipped byte in its middle record; segment 2: a garbage header; the last one: a torn tail.
        List<SegmentFiles.Record> first = records(files.get(0));
        int middle = first.size() / 2;
        flip(files.get(0), first.get(middle).offset() + Journal.RECORD_HEADER + 5);
        Files.write(files.get(1), new byte[Journal.SEGMENT_HEADER], StandardOpenOption.WRITE);
        Path last = files.get(files.size() - 1);
        truncate(last, size(last) - 1);
        List<StoredMessage> expected = new ArrayList<>(bySegment.get(0));
        expected.remove(middle);
        for (int s = 2; s < bySegment.size(); s++) {
            expected.addAll(bySegment.get(s));
        }
        expected.remove(expected.size() - 1);

        try (Opened opened = open(directory, 4096)) {
            assertRecovered(expected, opened, "first start");
            assertEquals(3, opened.store().corruptRecords());
            assertEquals(3, corrupt(directory).size(), corrupt(directory).toString());
            StoredMessage after = message("after", 1);
            add(opened.store(), after, content("after", CONTENT));
            expected.add(after);
        }
        for (int start = 2; start <= 3; start++) {
            try (Opened again = open(directory, 4096)) {
                assertRecovered(expected, again, "start " + start);
                assertEquals(0, again.store().corruptRecords(), "start " + start);
                assertEquals(3, corrupt(directory).size(), corrupt(directory).toString());
            }
        }
    }

    /**
     * Adds messages to a store of 4 KiB segments until it has {@code segments} full ones and
     * closes it; returns the messages of each segment, in order.
     */
    private static List<List<StoredMessage>> fillSegments(Path directory, int segments) {
        List<StoredMessage> added = new ArrayList<>();
        try (Opened opened = open(directory, 4096)) {
            for (int i = 0; segments(directory).size() <= segments; i++) {
                StoredMessage m = message("s" + i, 1);
                add(opened.store(), m, content(m.id(), CONTENT));
                added.add(m);
            }
        }
        // The last message opened one more segment: leave it out.
        List<Path> files = segments(directory);
        try {
            Files.delete(files.get(files.size() - 1));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        added.remove(added.size() - 1);
        List<List<StoredMessage>> bySegment = new ArrayList<>();
        int next = 0;
        for (Path file : segments(directory)) {
            int n = records(file).size();
            bySegment.add(new ArrayList<>(added.subList(next, next + n)));
            next += n;
        }
        assertEquals(added.size(), next, "every message is in one of " + segments + " segments");
        assertTrue(bySegment.stream().allMatch(s -> s.size() >= 3), "segments of at least 3 messages: " + bySegment);
        return bySegment;
    }
}
