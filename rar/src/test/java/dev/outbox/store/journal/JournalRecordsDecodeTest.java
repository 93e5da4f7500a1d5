package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.Envelope;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.outbox.store.TestMessages.EXPIRY_MILLIS;
import static dev.outbox.store.TestMessages.SUBMIT_MILLIS;
import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.message;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that recovery's decoding of a MESSAGE record, which makes no intermediate list or string,
 * still checks what it reads as a submit does: a record with a sound checksum whose envelope does
 * not hold is refused, counted with the corrupt ones and skipped, and the rest comes back whole;
 * and that the senders it shares from record to record are each the right one.
 */
class JournalRecordsDecodeTest {

    private static final int SEGMENT_BYTES = 64 * 1024;
    private static final int MAX_RECORD = 1024 * 1024;

    /** A MESSAGE record's body for {@code message}, with its first {@code from} bytes replaced by {@code to}. */
    private static ByteBuffer bodyWith(StoredMessage message, byte[] content, String from, String to) {
        ByteBuffer[] parts = JournalRecords.message(message, content);
        byte[] body = new byte[parts[0].remaining() + parts[1].remaining()];
        ByteBuffer.wrap(body).put(parts[0].duplicate()).put(parts[1].duplicate());
        byte[] was = from.getBytes(StandardCharsets.US_ASCII);
        byte[] now = to.getBytes(StandardCharsets.US_ASCII);
        assertEquals(was.length, now.length, "a replacement of the same length keeps the record's layout");
        int at = SegmentFiles.indexOf(body, was);
        assertTrue(at >= 0, "not in the record: " + new String(was, StandardCharsets.US_ASCII));
        System.arraycopy(now, 0, body, at, now.length);
        return ByteBuffer.wrap(body);
    }


    private static StoredMessage from(String id, String sender, String... recipients) {
        List<RecipientStatus> statuses = new ArrayList<>();
        for (int i = 0; i < recipients.length; i++) {
            statuses.add(RecipientStatus.QUEUED);
        }
        return new StoredMessage(id, SUBMIT_MILLIS, EXPIRY_MILLIS, Envelope.of(sender, recipients), statuses);
    }

    @Test
    void aBadAddressInARecordIsRefusedNamingIt() {
        StoredMessage m = from("m", "sender@example.org", "ann@a.example", "bob@b.example");
        ByteBuffer body = bodyWith(m, content("m", 10), "bob@b", "b b@b");

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> JournalRecords.decodeMessage(body, new JournalRecords.Reading()));
        assertTrue(refused.getMessage().startsWith("recipient 2 \"b b@b.example\""), refused.getMessage());
    }

    @Test
    void aBadSenderInARecordIsRefusedEvenWhenTheSameBytesWereSharedBefore() {
        JournalRecords.Reading reading = new JournalRecords.Reading();
        StoredMessage good = from("good", "sender@example.org", "ann@a.example");
        StoredMessage bad = from("bad", "sender@example.org", "ann@a.example");
        JournalRecords.decodeMessage(bodyWith(good, content("good", 10), "good", "good"), reading);

        ByteBuffer body = bodyWith(bad, content("bad", 10), "sender@", "sen\rer@");
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> JournalRecords.decodeMessage(body, reading));
        assertTrue(refused.getMessage().startsWith("reverse path "), refused.getMessage());
    }

    @Test
    void aRepeatedRecipientInARecordIsRefusedAsAStoredMessageRefusesIt() {
        StoredMessage m = from("m", "sender@example.org", "ann@a.example", "ann@b.example");
        ByteBuffer body = bodyWith(m, content("m", 10), "ann@b", "ann@a");

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> JournalRecords.decodeMessage(body, new JournalRecords.Reading()));
        assertEquals("message m has 1 recipients but 2 statuses", refused.getMessage());
    }

    @Test
    void sendersAreSharedAndEachIsTheRightOne() {
        JournalRecords.Reading reading = new JournalRecords.Reading();
        List<String> senders = List.of("ann@example.org", "bob@example.org", "ann@example.org", "", "bob@example.org", "ann@example.org");
        List<String> decoded = new ArrayList<>();
        for (int i = 0; i < senders.size(); i++) {
            StoredMessage m = from("m" + i, senders.get(i), "rcpt@example.net");
            ByteBuffer[] parts = JournalRecords.message(m, new byte[0]);
            JournalRecords.Message record = JournalRecords.decodeMessage(parts[0].duplicate(), reading);
            assertEquals(m, record.message());
            decoded.add(record.envelope().reversePath());
        }
        assertEquals(senders, decoded);
        assertSame(decoded.get(0), decoded.get(2), "one string for one sender");
        assertSame(decoded.get(0), decoded.get(5), "one string for one sender, after another came between");
        assertSame(decoded.get(1), decoded.get(4), "one string for one sender");
        assertNotSame(senders.get(0), decoded.get(0), "decoded, not the one written");
    }

    @Test
    void recoveryCountsARecordWithABadEnvelopeAndRecoversTheRestWithTheirContentLengths(@TempDir Path directory) {
        StoredMessage before = message("before", 2);
        StoredMessage after = message("after", 1);
        StoredMessage bad = from("bad", "sender@example.org", "ann@a.example");
        try (Journal journal = new Journal(directory, SEGMENT_BYTES, MAX_RECORD)) {
            journal.scan((position, body) -> { });
            journal.append(JournalRecords.message(before, content("before", 300)));
            journal.append(bodyWith(bad, content("bad", 10), "ann@a", "ann@-"));
            journal.append(JournalRecords.message(after, content("after", 5000)));
        }
        Map<String, Integer> lengths = new LinkedHashMap<>();
        List<StoredMessage> recovered = new ArrayList<>();
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, 1L << 30, MAX_RECORD))) {
            store.recover((m, length) -> {
                recovered.add(m);
                lengths.put(m.id(), length);
            });
            assertEquals(List.of(before, after), recovered);
            assertEquals(Map.of("before", 300, "after", 5000), lengths);
            assertEquals(1, store.corruptRecords(), "the record that does not decode is counted with the corrupt ones");
            assertEquals(-1, store.contentLength("bad"));
        }
    }
}
