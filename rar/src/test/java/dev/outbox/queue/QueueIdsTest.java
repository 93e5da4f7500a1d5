package dev.outbox.queue;

import dev.outbox.testing.TestClock;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Proves that queue ids are 26-character Crockford ULIDs that carry the clock's time and strictly increase. */
class QueueIdsTest {

    private static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private static final Pattern CROCKFORD = Pattern.compile("[0-9A-HJKMNP-TV-Z]{26}");
    private static final Instant T0 = Instant.parse("2025-06-02T10:15:30.123Z");

    @Test
    void issuesTwentySixCrockfordCharacters() {
        QueueIds ids = new QueueIds(Clock.systemUTC());

        for (int i = 0; i < 1000; i++) {
            String id = ids.next();
            assertTrue(CROCKFORD.matcher(id).matches(), id);
        }
    }

    @Test
    void startsWithTheClocksMilliseconds() {
        QueueIds ids = new QueueIds(Clock.fixed(T0, ZoneOffset.UTC));

        assertEquals(T0.toEpochMilli(), millisOf(ids.next()));
    }

    @Test
    void strictlyIncreasesWithinOneMillisecond() {
        QueueIds ids = new QueueIds(Clock.fixed(T0, ZoneOffset.UTC));

        String previous = ids.next();
        for (int i = 1; i < 100_000; i++) {
            String id = ids.next();
            if (id.compareTo(previous) <= 0) {
                fail(id + " is not after " + previous);
            }
            previous = id;
        }
        // The borrowing of a millisecond after 2^80 ids is out of reach: all share the clock's.
        assertEquals(T0.toEpochMilli(), millisOf(previous));
    }

    @Test
    void increasesAcrossMilliseconds() {
        TestClock clock = new TestClock(T0);
        QueueIds ids = new QueueIds(clock);

        String previous = ids.next();
        for (int step = 0; step < 1000; step++) {
            clock.advance(Duration.ofMillis(1));
            String id = ids.next();
            // A new random part is drawn each millisecond: only the time prefix keeps the order.
            if (id.compareTo(previous) <= 0) {
                fail(id + " is not after " + previous);
            }
            assertEquals(clock.millis(), millisOf(id));
            previous = id;
        }
    }

    @Test
    void keepsIncreasingWhenTheClockStepsBack() {
        TestClock clock = new TestClock(T0);
        QueueIds ids = new QueueIds(clock);
        String beforeStep = ids.next();

        clock.advance(Duration.ofMillis(-5_000));
        String afterStep = ids.next();

        assertTrue(afterStep.compareTo(beforeStep) > 0, afterStep + " is not after " + beforeStep);
        assertEquals(T0.toEpochMilli(), millisOf(afterStep));
    }

    @Test
    void twoInstancesInTheSameMillisecondIssueDifferentIds() {
        Clock clock = Clock.fixed(T0, ZoneOffset.UTC);

        assertNotEquals(new QueueIds(clock).next(), new QueueIds(clock).next());
    }

    @Test
    void issuesUniqueIdsToConcurrentCallers() throws Exception {
        QueueIds ids = new QueueIds(Clock.fixed(T0, ZoneOffset.UTC));
        int threads = 4;
        int each = 10_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Callable<List<String>>> tasks = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                tasks.add(() -> {
                    List<String> issued = new ArrayList<>(each);
                    for (int i = 0; i < each; i++) {
                        issued.add(ids.next());
                    }
                    return issued;
                });
            }
            Set<String> all = new HashSet<>();
            for (Future<List<String>> issued : pool.invokeAll(tasks, 10, TimeUnit.SECONDS)) {
                List<String> mine = issued.get();
                // Each thread sees its own ids in order, as next() promises to every caller.
                for (int i = 1; i < mine.size(); i++) {
                    assertTrue(mine.get(i).compareTo(mine.get(i - 1)) > 0);
                }
                all.addAll(mine);
            }
            assertEquals(threads * each, all.size());
        } finally {
            pool.shutdownNow();
        }
    }

    private static long millisOf(String id) {
        long millis = 0;
        for (int i = 0; i < 10; i++) {
            millis = millis * 32 + ALPHABET.indexOf(id.charAt(i));
        }
        return millis;
    }

    @Test
    void everyIssuedIdIsHeldWholeByItsTwoLongs() {
        QueueIds ids = new QueueIds(Clock.systemUTC());
        for (int i = 0; i < 10_000; i++) {
            String id = ids.next();
            assertTrue(QueueIds.isCompact(id), id);
            assertEquals(id, QueueIds.text(QueueIds.high(id), QueueIds.low(id)), "read back from its bits");
            assertEquals(QueueIds.millisOf(id), QueueIds.high(id) >>> 16, "the high long starts with the id's time");
        }
        // The extremes of each part: 48 bits of time, 16 and 64 random bits.
        for (long[] bits : new long[][]{{0, 0}, {-1L >>> 16, -1L}, {0xFFFF, 0}, {1L << 16, 1L << 63}, {0x0123_4567_89AB_CDEFL, 0xFEDC_BA98_7654_3210L}}) {
            String id = QueueIds.text(bits[0], bits[1]);
            assertTrue(QueueIds.isCompact(id), id);
            assertEquals(bits[0], QueueIds.high(id), id);
            assertEquals(bits[1], QueueIds.low(id), id);
        }
    }

    @Test
    void anIdTheQueueWouldNotIssueIsNotTakenForOne() {
        String issued = new QueueIds(Clock.systemUTC()).next();
        for (String other : List.of("", "m-1", issued.toLowerCase(java.util.Locale.ROOT), issued + "-B0", issued.substring(1),
                "I" + issued.substring(1), "L" + issued.substring(1), "O" + issued.substring(1), "U" + issued.substring(1),
                "8" + issued.substring(1), // a time past 48 bits
                issued.substring(0, 25) + "\u00e9", issued.substring(0, 25) + "\u0100")) {
            assertTrue(!QueueIds.isCompact(other), other);
        }
    }
}
