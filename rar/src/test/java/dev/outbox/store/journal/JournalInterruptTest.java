package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.store.StoreException;
import dev.outbox.store.TestMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a caller with its interrupt flag set (as WildFly leaves cancelled work) neither
 * breaks the store for other threads nor loses its own interrupt, and that interrupts arriving
 * while a caller writes or syncs a batch for everyone fail no add, its own or another's.
 */
class JournalInterruptTest {

    private static final long SEGMENT_BYTES = 64L << 20;
    /** Segments that 8 threads x 3,000 records of about 1.2 KB fill some twenty times. */
    private static final long SMALL_SEGMENT_BYTES = 1L << 20;
    /** 8 threads x 3,000 records of about 1.2 KB: well inside one 64 MiB segment. */
    private static final int ADDS_PER_THREAD = 3000;
    /**
     * Between two interrupts of the victim: shorter than a write and sync of a batch on any disk,
     * so that an interrupted thread doing the I/O again itself would be cut off every time (a
     * storm of one every 200 us failed a batch on a CI machine, not on the fastest one).
     */
    private static final long INTERRUPT_GAP_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

    @TempDir
    Path directory;

    @Test
    void interruptedCallersLeaveTheStoreUsable() throws Exception {
        try (ById store = new ById(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 1 << 20))) {
            store.recover((message, length) -> { });
            store.add(TestMessages.message("before", 1), TestMessages.content("before", 4096));

            Thread.currentThread().interrupt();
            byte[] read = store.content("before");
            store.add(TestMessages.message("during", 1), TestMessages.content("during", 4096));
            assertTrue(Thread.interrupted(), "the caller's interrupt is kept (and cleared here)");

            assertArrayEquals(TestMessages.content("before", 4096), read);
            assertArrayEquals(TestMessages.content("before", 4096), store.content("before"));
            store.add(TestMessages.message("after", 1), TestMessages.content("after", 4096));
            assertArrayEquals(TestMessages.content("during", 4096), store.content("during"));
        }
        List<String> recovered = new ArrayList<>();
        try (ById reopened = new ById(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 1 << 20))) {
            reopened.recover((message, length) -> recovered.add(message.id()));
        }
        assertEquals(List.of("before", "during", "after"), recovered);
    }

    /**
     * Eight threads add while one of them is interrupted every few microseconds, so that
     * interrupts land while it waits, while it is the writer and while it writes or syncs a
     * batch holding the others' records (which closes the channel under every thread using it).
     * Every add must succeed and be recovered; waiters that yield and waiters that sleep alike.
     */
    @ParameterizedTest(name = "waiters yield while syncs are short: {0}")
    @ValueSource(booleans = {true, false})
    void interruptsWhileBatchesAreWrittenFailNoAdd(boolean yieldWhileSyncing) throws Exception {
        ById store = openWith(Journal.YIELD_PROPERTY, Boolean.toString(yieldWhileSyncing), SEGMENT_BYTES);
        assertEveryAddSucceeds(store);
    }

    /**
     * The same with small segments, so that the interrupted thread also rolls to new segments,
     * syncs the directory, and zero-fills the next spare while interrupts keep coming.
     */
    @Test
    void interruptsWhileSegmentsRollFailNoAdd() throws Exception {
        assertEveryAddSucceeds(openWith(Journal.YIELD_PROPERTY, "true", SMALL_SEGMENT_BYTES));
    }

    private void assertEveryAddSucceeds(ById store) throws Exception {
        ConcurrentLinkedQueue<String> added = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> adders = addWhileInterruptingOne(store, (id, failure) -> {
            if (failure == null) {
                added.add(id);
                return true;
            }
            Throwable cause = failure;
            while (cause.getCause() != null) {
                cause = cause.getCause();
            }
            failures.add(new AssertionError("add of " + id + " failed: " + failure + ", at bottom " + cause, failure));
            return false;
        });
        assertTrue(failures.isEmpty(), () -> failures.size() + " adds failed, the first: " + failures.peek());
        assertTrue(adders.stream().noneMatch(Thread::isAlive), "every adder finished");
        assertTrue(added.stream().anyMatch(id -> id.startsWith("t0-")), "the interrupted thread added too");
        assertEquals(added.stream().sorted().toList(), recovered());
    }

    /**
     * Through the page cache an interrupted sync fails its batch (see {@code Segment.sync}), yet
     * the batch's records are in the file and a later sync carries them to the disk. No failed add
     * may come back at the next start, as its caller was told it failed, unless the store said it
     * might: when withdrawing it failed too (here, when the interrupted thread's own withdrawal
     * was cut off as well).
     */
    @Test
    void addsFailedByAnInterruptedSyncDoNotComeBack() throws Exception {
        ById store = openWith(DirectIo.PROPERTY, "false", SEGMENT_BYTES);
        ConcurrentLinkedQueue<String> added = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> failed = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<String> mayComeBack = new ConcurrentLinkedQueue<>();
        addWhileInterruptingOne(store, (id, failure) -> {
            if (failure == null) {
                added.add(id);
            } else if (failure instanceof StoreException) {
                (failure.getMessage().contains("may be recovered") ? mayComeBack : failed).add(id);
            } else {
                throw new AssertionError("add of " + id + " failed other than by the disk", failure);
            }
            return failed.size() < 20;
        });
        assertFalse(failed.isEmpty(), "no sync was cut off by an interrupt: nothing was shown");

        List<String> recovered = recovered();
        List<String> cameBack = failed.stream().filter(recovered::contains).sorted().toList();
        List<String> lost = added.stream().filter(id -> !recovered.contains(id)).sorted().toList();
        assertEquals(List.of(), cameBack, failed.size() + " adds failed; these came back at the next start");
        assertEquals(List.of(), lost, "acknowledged, not recovered");
        assertEquals(added.size(), recovered.stream().filter(id -> !mayComeBack.contains(id)).count(),
                "recovered: the acknowledged adds, each once, and perhaps those the store said may come back");
    }

    /** What an adder does with the outcome of one add ({@code failure} null when it succeeded); false stops it. */
    @FunctionalInterface
    private interface Outcome {
        boolean next(String id, Throwable failure);
    }

    /**
     * Adds "first" (which prepares the segment and its spare), then lets eight threads add up to
     * {@link #ADDS_PER_THREAD} messages each while the first of them is interrupted every 20 us,
     * for at most two seconds; closes the store and returns the adders, joined.
     */
    private static List<Thread> addWhileInterruptingOne(ById store, Outcome outcome) throws Exception {
        store.recover((message, length) -> { });
        store.add(TestMessages.message("first", 1), TestMessages.content("first", 1000));
        outcome.next("first", null);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> adders = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int thread = t;
            adders.add(new Thread(() -> {
                boolean goOn = true;
                for (int i = 0; i < ADDS_PER_THREAD && goOn && !stop.get(); i++) {
                    String id = "t" + thread + "-" + i;
                    Throwable failure = null;
                    try {
                        store.add(TestMessages.message(id, 1), TestMessages.content(id, 1000));
                    } catch (Throwable e) {
                        failure = e;
                    }
                    goOn = outcome.next(id, failure);
                    Thread.interrupted(); // the victim's interrupt was kept for it; it goes on with the next add
                }
            }, "adder-" + t));
        }
        try {
            adders.forEach(Thread::start);
            Thread victim = adders.get(0);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
            while (System.nanoTime() < end && adders.stream().anyMatch(Thread::isAlive)) {
                victim.interrupt();
                for (long next = System.nanoTime() + INTERRUPT_GAP_NANOS; System.nanoTime() < next; ) {
                    Thread.onSpinWait();
                }
            }
        } finally {
            stop.set(true);
            for (Thread adder : adders) {
                adder.join(TimeUnit.SECONDS.toMillis(20));
            }
            store.close();
        }
        return adders;
    }

    /** A store on {@link #directory}, opened with system property {@code name} set to {@code value}. */
    private ById openWith(String name, String value, long segmentBytes) {
        return SystemProperty.with(name, value, () -> new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, 1 << 20)));
    }

    /** The ids a fresh store on {@link #directory} recovers, sorted. */
    private List<String> recovered() {
        List<String> recovered = new ArrayList<>();
        try (ById reopened = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, 1 << 20))) {
            reopened.recover((message, length) -> recovered.add(message.id()));
        }
        return recovered.stream().sorted().toList();
    }
}
