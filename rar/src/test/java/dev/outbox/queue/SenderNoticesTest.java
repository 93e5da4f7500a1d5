package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.dsn.DeliveryStatusNotice;
import dev.outbox.dsn.DsnComposer;
import dev.outbox.store.MemoryStore;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoredMessage;
import dev.outbox.testing.TestClock;
import dev.outbox.testing.smtp.Received;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the queue ids of notices, which are what makes them exactly once across a crash: the
 * recipients a bounce's id names are read back as the same recipients, a delay notice's and any
 * other id name none, and a message with more failed recipients than one id can name (whatever
 * {@link SenderNotices#MAX_COVER_CHARS} is) gets several notices that between them cover each
 * failed recipient exactly once, each reporting exactly the recipients its id names.
 */
class SenderNoticesTest {

    private final TestClock clock = new TestClock(EngineFixture.START);
    private final String id = new QueueIds(clock).next();

    @Test
    void aBouncesIdNamesItsRecipientsAsRunsAndIsReadBackAsTheSameOnes() {
        List<List<Integer>> covers = List.of(List.of(0), List.of(7), List.of(5, 6), List.of(0, 2, 3, 4), List.of(0, 2, 3, 4, 7),
                List.of(1, 3, 5, 9, 10, 11, 12, 100, 101, 999));
        List<String> written = List.of("0", "7", "5-6", "0.2-4", "0.2-4.7", "1.3.5.9-12.100-101.999");
        for (int k = 0; k < covers.size(); k++) {
            List<Integer> cover = covers.get(k);
            assertEquals(written.get(k), SenderNotices.cover(cover));
            String notice = id + "-n" + SenderNotices.cover(cover);
            assertEquals(id, SenderNotices.originalOf(notice), notice);
            assertFalse(SenderNotices.isDelayNotice(notice), notice);
            assertEquals(bits(cover), SenderNotices.covered(notice), notice);
        }
    }

    @Test
    void aDelayNoticesIdNamesItsOriginalAndNoRecipientAndOtherIdsNameNothing() {
        assertEquals(id, SenderNotices.originalOf(id + "-d"));
        assertTrue(SenderNotices.isDelayNotice(id + "-d"));
        assertEquals(new BitSet(), SenderNotices.covered(id + "-d"));

        for (String other : List.of(id, id + "-n", id + "-x1", id + "-dd", "short-n0")) {
            assertNull(SenderNotices.originalOf(other), other);
            assertFalse(SenderNotices.isDelayNotice(other), other);
            assertEquals(new BitSet(), SenderNotices.covered(other), other);
        }
        for (String unreadable : List.of(id + "-nx", id + "-n3-1", id + "-n1..2", id + "-n-1")) {
            assertEquals(id, SenderNotices.originalOf(unreadable), unreadable);
            assertEquals(new BitSet(), SenderNotices.covered(unreadable), unreadable + " covers nothing it could wrongly clear");
        }
    }

    @Test
    void moreFailedRecipientsThanOneIdCanNameGetSeveralNoticesThatCoverEachOnce() throws Exception {
        int count = recipientsWhoseOddOnesCoverMoreThan(2 * SenderNotices.MAX_COVER_CHARS); // three ids' worth, or more
        List<String> addresses = new ArrayList<>();
        List<RecipientStatus> statuses = new ArrayList<>();
        BitSet failed = new BitSet();
        for (int i = 0; i < count; i++) {
            addresses.add(String.format("r%04d@example.org", i));
            if (i % 2 == 1) { // every other one bounced, so no two are a run and the cover is as long as it gets
                failed.set(i);
                statuses.add(new RecipientStatus(RecipientState.BOUNCED, 0, 1).withReply(550, "550 5.1.1 no such user", "mx.example.org")
                        .withLastAttempt(clock.millis()).withNoticePending(true));
            } else {
                statuses.add(new RecipientStatus(RecipientState.DELIVERED, 0, 1));
            }
        }
        MemoryStore store = new MemoryStore();
        store.recover((recovered, length) -> { });
        StoredMessage stored = new StoredMessage(id, clock.millis(), clock.millis() + Duration.ofDays(2).toMillis(),
                Envelope.of(EngineFixture.SENDER, addresses), statuses);
        StoreEntry entry = store.add(stored, ("From: " + EngineFixture.SENDER + "\r\nSubject: many\r\nMessage-ID: <many@outbox.test>\r\n\r\nbody\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        TransferQueue queue = new TransferQueue(Destination.smarthost(new NextHop("127.0.0.1", 25)), clock.millis());
        TransferQueue[] routed = new TransferQueue[count];
        Arrays.fill(routed, queue);
        QueuedMessage message = new QueuedMessage(stored, entry, routed, clock.millis());
        SenderNotices notices = new SenderNotices(store, new DsnComposer(new DeliveryStatusNotice(EngineFixture.REPORTING_MTA),
                DeliveryStatusNotice.Return.HEADERS), clock, 0, Duration.ofDays(2).toMillis());

        List<Stored> queued;
        synchronized (message) {
            queued = notices.queueBounces(message);
            assertFalse(message.owesNotice(), "every mark paid");
        }

        assertTrue(queued.size() >= 3, () -> "split into several notices: " + queued.stream().map(Stored::id).toList());
        assertEquals(queued.size(), notices.bounceCount());
        BitSet covered = new BitSet();
        for (Stored queuedNotice : queued) {
            StoredMessage notice = queuedNotice.message();
            String cover = notice.id().substring(id.length() + 2);
            assertTrue(cover.length() <= SenderNotices.MAX_COVER_CHARS, notice.id());
            assertEquals(id, SenderNotices.originalOf(notice.id()));
            BitSet names = SenderNotices.covered(notice.id());
            assertFalse(covered.intersects(names), () -> notice.id() + " names a recipient another notice names");
            covered.or(names);
            assertEquals(Envelope.of("", List.of(EngineFixture.SENDER)), notice.envelope());
            ParsedDsn dsn = ParsedDsn.of(new Received(1, "<>", List.of(EngineFixture.SENDER), store.content(queuedNotice.entry()), true));
            assertEquals(names.stream().mapToObj(addresses::get).toList(), dsn.finalRecipients(), notice.id());
        }
        assertEquals(failed, covered, "between them the notices cover each failed recipient, and no other");
    }

    /** The fewest recipients (an even number) whose odd indexes, written as a cover, take more than {@code chars}. */
    private static int recipientsWhoseOddOnesCoverMoreThan(int chars) {
        List<Integer> odd = new ArrayList<>();
        for (int i = 1; SenderNotices.cover(odd).length() <= chars; i += 2) {
            odd.add(i);
        }
        return odd.get(odd.size() - 1) + 1;
    }

    private static BitSet bits(List<Integer> indexes) {
        BitSet bits = new BitSet();
        indexes.forEach(bits::set);
        return bits;
    }
}
