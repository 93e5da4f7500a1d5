package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.RecipientState;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.done;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.TestMessages.withStatuses;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Records carry a version: journals written before versions stay readable, and newer versions are refused by name. */
class JournalVersionTest {

    /** The journal in {@code journal-before-versions/} (see its README) comes back whole: adds, the update, the removal. */
    @Test
    void aJournalWrittenBeforeVersionsIsRecovered(@TempDir Path directory) throws Exception {
        copyFixture(directory);
        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = new ById(new JournalStore(directory, 64 * 1024, 1L << 30, 1024 * 1024))) {
            store.recover((m, length) -> recovered.add(m));
            StoredMessage a = withStatuses(message("v0-a", 2),
                    List.of(done(RecipientState.DELIVERED, 1), deferred(1_700_000_600_000L, 2)));
            assertEquals(List.of(a, message("v0-c", 1)), recovered);
            for (StoredMessage m : recovered) { // the fields version 1 added, at their defaults
                assertFalse(m.delayNoticeSent(), m.id());
                for (RecipientStatus status : m.statuses()) {
                    assertEquals(List.of(0, "", "", 0L, false), List.of(status.replyCode(), status.replyText(), status.remoteHost(),
                            status.lastAttemptMillis(), status.noticePending()), m.id());
                }
            }
            assertArrayEquals(content("v0-a", 600), store.content("v0-a"));
            assertArrayEquals(content("v0-c", 300), store.content("v0-c"));
            assertEquals(0, store.corruptRecords());

            // Old and new records side by side: an update written now of a message written before versions.
            store.update("v0-c", List.of(new RecipientChange(0, done(RecipientState.DELIVERED, 1))));
            store.add(message("now-d", 1), content("now-d", 100));
        }
        recovered.clear();
        try (ById store = new ById(new JournalStore(directory, 64 * 1024, 1L << 30, 1024 * 1024))) {
            store.recover((m, length) -> recovered.add(m));
            assertEquals(List.of("v0-a", "v0-c", "now-d"), recovered.stream().map(StoredMessage::id).toList());
            assertEquals(RecipientState.DELIVERED, recovered.get(1).statuses().get(0).state());
            assertArrayEquals(content("now-d", 100), store.content("now-d"));
        }
    }

    @Test
    void recordsAreWrittenWithTheCurrentVersionAndReadBack() {
        StoredMessage m = message("m", 2);
        ByteBuffer[] parts = JournalRecords.message(m, content("m", 10));
        ByteBuffer body = ByteBuffer.allocate(parts[0].remaining() + parts[1].remaining()).put(parts[0].duplicate()).put(parts[1].duplicate()).flip();
        assertEquals(JournalRecords.VERSION, JournalRecords.version(body));
        assertEquals(JournalRecords.MESSAGE, JournalRecords.type(body));
        assertEquals(m, JournalRecords.decodeMessage(body, new JournalRecords.Reading()).message());

        ByteBuffer update = JournalRecords.update("m", List.of(new RecipientChange(1, RecipientStatus.QUEUED)), false);
        assertEquals(JournalRecords.UPDATE, JournalRecords.type(update));
        assertEquals(JournalRecords.VERSION, JournalRecords.version(update));
        ByteBuffer remove = JournalRecords.remove("m");
        assertEquals(JournalRecords.REMOVE, JournalRecords.type(remove));
        assertEquals("m", JournalRecords.decodeRemove(remove, new JournalRecords.Reading()));
    }

    /** Every field version 1 added goes through a MESSAGE and an UPDATE record and back. */
    @Test
    void versionOneFieldsRoundTripThroughTheRecords() {
        RecipientStatus full = deferred(7_000, 3).withReply(599, "x".repeat(RecipientStatus.MAX_TEXT_CHARS), "\u00fc".repeat(1000))
                .withLastAttempt(Long.MAX_VALUE).withNoticePending(true);
        StoredMessage m = withStatuses(message("m", 2), List.of(RecipientStatus.QUEUED, full)).withDelayNoticeSent();
        ByteBuffer[] parts = JournalRecords.message(m, content("m", 10));
        ByteBuffer body = ByteBuffer.allocate(parts[0].remaining() + parts[1].remaining()).put(parts[0].duplicate()).put(parts[1].duplicate()).flip();
        JournalRecords.Message decoded = JournalRecords.decodeMessage(body, new JournalRecords.Reading());
        assertEquals(m, decoded.message());
        assertEquals(parts[0].remaining(), decoded.contentOffset());

        List<RecipientChange> changes = List.of(new RecipientChange(1, full), new RecipientChange(0, done(RecipientState.DELIVERED, 1)));
        assertEquals(new JournalRecords.Update("m", changes, true), JournalRecords.decodeUpdate(JournalRecords.update("m", changes, true), new JournalRecords.Reading()));
        assertEquals(new JournalRecords.Update("m", List.of(), false), JournalRecords.decodeUpdate(JournalRecords.update("m", List.of(), false), new JournalRecords.Reading()));
    }

    /** What version 1 costs a record with no reply and no host: 15 bytes a status, 1 a message or update. */
    @Test
    void versionOneGrowsAnEmptyStatusByFifteenBytes() {
        ByteBuffer one = JournalRecords.message(message("m", 1), new byte[0])[0];
        ByteBuffer three = JournalRecords.message(message("m", 3), new byte[0])[0];
        // message("m", n): addresses "rcpt<i>@dest<i%3>.example.com", 2 + 23 bytes each; a version-0 status was 13 bytes
        assertEquals(2 * (2 + 23 + 13 + 15), three.remaining() - one.remaining());
        ByteBuffer update = JournalRecords.update("m", List.of(new RecipientChange(0, RecipientStatus.QUEUED)), false);
        assertEquals(1 + 2 + 1 + 4 + (4 + 13 + 15) + 1, update.remaining());
    }

    @Test
    void aRecordOfANewerVersionIsRefusedNamingTheVersions() {
        ByteBuffer remove = JournalRecords.remove("m");
        remove.put(0, (byte) ((JournalRecords.VERSION + 1) << 4 | JournalRecords.REMOVE));
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> JournalRecords.decodeRemove(remove, new JournalRecords.Reading()));
        assertTrue(refused.getMessage().contains("version " + (JournalRecords.VERSION + 1)), refused.getMessage());
    }

    /**
     * A journal written by a later Outbox, opened by this one (a downgrade): its records are
     * refused, counted and skipped, as the class comment says, but they must stay on disk, so that
     * the later Outbox, put back, still finds its acknowledged mail. Reclamation at recovery must
     * not take a segment that holds only refused records for a dead one and delete it.
     */
    @Test
    void recordsOfANewerVersionAreRefusedButNotDeleted(@TempDir Path directory) throws Exception {
        try (Journal journal = new Journal(directory, 64 * 1024, 1024 * 1024)) {
            journal.scan((position, body) -> { });
            for (int i = 0; i < 8; i++) {
                ByteBuffer[] parts = JournalRecords.message(message("v2-" + i, 1), content("v2-" + i, 20_000));
                ByteBuffer body = ByteBuffer.allocate(parts[0].remaining() + parts[1].remaining())
                        .put(parts[0].duplicate()).put(parts[1].duplicate()).flip();
                body.put(0, (byte) ((JournalRecords.VERSION + 1) << 4 | JournalRecords.MESSAGE));
                journal.append(body);
            }
            assertTrue(journal.segmentCount() >= 2, "the records span segments");
        }
        List<Path> before = segmentFiles(directory);
        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = new ById(new JournalStore(directory, 64 * 1024, 1L << 30, 1024 * 1024))) {
            store.recover((m, length) -> recovered.add(m));
            assertEquals(List.of(), recovered);
            assertEquals(8, store.corruptRecords());
        }
        assertEquals(before, segmentFiles(directory), "the segments holding the refused records are kept");
    }

    private static List<Path> segmentFiles(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".journal")).sorted().toList();
        }
    }

    private static void copyFixture(Path directory) throws IOException, URISyntaxException {
        Path fixture = Path.of(JournalVersionTest.class.getResource("/journal-before-versions").toURI());
        try (Stream<Path> files = Files.list(fixture)) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".journal")).toList()) {
                Files.copy(file, directory.resolve(file.getFileName()));
            }
        }
    }
}
