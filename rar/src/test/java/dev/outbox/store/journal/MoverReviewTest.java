package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.deferred;
import static dev.outbox.store.TestMessages.message;
import static dev.outbox.store.journal.SegmentFiles.segments;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of the mover (branch store-in-message): the thread that moves live messages out of a
 * mostly dead old segment, locking their entries.
 */
class MoverReviewTest {

    private static final long SEGMENT_BYTES = 64 * 1024;
    private static final int MAX_RECORD_BYTES = 1024 * 1024;

    /** Mover threads of the store on {@code directory}. */
    private static List<Thread> movers(Path directory) {
        List<Thread> found = new ArrayList<>();
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals("Outbox journal mover " + directory.getFileName())) {
                found.add(thread);
            }
        }
        return found;
    }

    /** Fills a few segments behind {@code pins}, then removes the rest, so that the oldest is mostly dead. */
    private static void pinTheOldestSegment(ById store, Path directory, List<String> pins) throws Exception {
        for (String pin : pins) {
            store.add(message(pin, 2), content(pin, 500));
        }
        int churn = 0;
        while (segments(directory).size() < 4) {
            String id = "churn-" + churn++;
            store.add(message(id, 1), content(id, 1000));
        }
        for (int i = 0; i < churn; i++) {
            store.remove("churn-" + i);
        }
    }

    /**
     * The mover is made by whichever thread's removal first finds a mostly dead oldest segment (a
     * delivery thread, or an operator's call from an application) and inherits that thread's
     * context class loader, which it then holds for as long as the store is open: an application
     * redeployed meanwhile is kept in memory. The journal's other thread of its own
     * (InterruptedIo's repeater) sets it to null for that reason.
     */
    @Test
    void theMoverHoldsNoClassLoaderOfTheThreadThatMadeIt(@TempDir Path directory) throws Exception {
        ClassLoader deployment = new URLClassLoader(new URL[0], null);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES))) {
            store.recover((m, length) -> { });
            store.add(message("first", 1), content("first", 10));
            Path oldest = segments(directory).get(0);
            store.remove("first");
            Thread caller = new Thread(() -> {
                try {
                    pinTheOldestSegment(store, directory, List.of("pin"));
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "an application's thread");
            caller.setContextClassLoader(deployment);
            caller.start();
            caller.join(60_000);
            assertNull(failed.get());
            ((JournalStore) store.store()).awaitMoves();
            assertFalse(Files.exists(oldest), "the move ran: " + segments(directory));
            List<Thread> movers = movers(directory);
            assertEquals(1, movers.size(), "one mover: " + movers);
            assertNotSame(deployment, movers.get(0).getContextClassLoader(),
                    "the mover keeps the context class loader of the application thread whose removal made it");
        }
    }

    /** GUARD: the mover ends with the store. */
    @Test
    void theMoverEndsWhenTheStoreCloses(@TempDir Path directory) throws Exception {
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES))) {
            store.recover((m, length) -> { });
            pinTheOldestSegment(store, directory, List.of("pin"));
            ((JournalStore) store.store()).awaitMoves();
            assertEquals(1, movers(directory).size());
        }
        Thread mover = null;
        for (Thread thread : movers(directory)) {
            mover = thread;
        }
        if (mover != null) {
            mover.join(10_000);
            assertFalse(mover.isAlive(), "the mover outlives its store");
        }
    }

    /**
     * GUARD: updates racing with moves of the same messages are neither lost nor reordered: after
     * a restart every message has the statuses of its last update, its content, and no record is
     * set aside.
     */
    @Test
    void updatesRacingWithMovesAllSurviveARestart(@TempDir Path directory) throws Exception {
        List<String> pins = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            pins.add("pin-" + i);
        }
        Map<String, List<RecipientStatus>> last = new ConcurrentHashMap<>();
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES))) {
            store.recover((m, length) -> { });
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failed = new AtomicReference<>();
            List<Thread> updaters = new ArrayList<>();
            for (int t = 0; t < 2; t++) {
                int first = t;
                updaters.add(new Thread(() -> {
                    try {
                        for (int round = 1; !stop.get(); round++) {
                            for (int i = first; i < pins.size(); i += 2) {
                                String id = pins.get(i);
                                RecipientStatus status = deferred(1_000L * round, round);
                                synchronized (last) { // an update and what it recorded, in the same order
                                    store.update(id, List.of(new RecipientChange(round % 2, status)));
                                    List<RecipientStatus> now = new ArrayList<>(last.getOrDefault(id, message(id, 2).statuses()));
                                    now.set(round % 2, status);
                                    last.put(id, now);
                                }
                            }
                        }
                    } catch (Throwable e) {
                        failed.set(e);
                    }
                }, "updater-" + t));
            }
            for (String pin : pins) {
                store.add(message(pin, 2), content(pin, 500));
            }
            // The first segment: the pins and mail that is then removed, so that it is mostly dead.
            List<String> first = new ArrayList<>();
            while (segments(directory).size() < 2) {
                String id = "first-" + first.size();
                store.add(message(id, 1), content(id, 1000));
                first.add(id);
            }
            Path oldest = segments(directory).get(0);
            first.forEach(store::remove);
            updaters.forEach(Thread::start);
            for (int round = 0; round < 12; round++) {
                List<String> churn = new ArrayList<>();
                while (churn.size() < 120) {
                    String id = "churn-" + round + "-" + churn.size();
                    store.add(message(id, 1), content(id, 1000));
                    churn.add(id);
                }
                churn.forEach(store::remove);
            }
            ((JournalStore) store.store()).awaitMoves();
            stop.set(true);
            for (Thread updater : updaters) {
                updater.join(60_000);
            }
            assertNull(failed.get());
            assertFalse(Files.exists(oldest), "the pins were moved out of " + oldest);
        }
        Map<String, StoredMessage> recovered = new HashMap<>();
        try (ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES))) {
            store.recover((m, length) -> recovered.put(m.id(), m));
            assertEquals(0, store.corruptRecords());
            assertEquals(pins.size(), recovered.size(), "recovered " + recovered.keySet());
            for (String pin : pins) {
                StoredMessage m = recovered.get(pin);
                assertNotNull(m, pin);
                assertEquals(last.get(pin), m.statuses(), "statuses of " + pin);
                assertArrayEquals(content(pin, 500), store.content(pin), "content of " + pin);
            }
        }
    }
}
