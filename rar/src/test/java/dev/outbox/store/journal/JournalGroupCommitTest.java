package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.outbox.store.TestMessages.content;
import static dev.outbox.store.TestMessages.message;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Many threads writing at once all succeed, each acknowledged message is readable at once and
 * recovered whole, each thread's adds in its order; whether waiters yield while a batch syncs or
 * sleep at once.
 */
class JournalGroupCommitTest {

    private static final int THREADS = 16;

    private static ById open(Path directory, long segmentBytes, List<StoredMessage> recovered) {
        ById store = new ById(new JournalStore(directory, segmentBytes, Long.MAX_VALUE, 1024 * 1024));
        store.recover((m, length) -> recovered.add(m));
        return store;
    }

    private static int size(String id) {
        return 100 + Math.floorMod(id.hashCode(), 900);
    }

    /** Runs {@code work} on {@code threads} threads started together; returns each thread's result, failing on the first failure. */
    private static <T> List<T> together(int threads, WorkOf<T> work) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit((Callable<T>) () -> {
                    start.await(10, TimeUnit.SECONDS);
                    return work.run(thread);
                }));
            }
            List<T> results = new ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            for (Future<T> future : futures) {
                results.add(future.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }

    @FunctionalInterface
    private interface WorkOf<T> {
        T run(int thread) throws Exception;
    }

    @ParameterizedTest(name = "waiters yield while syncs are short: {0}")
    @ValueSource(booleans = {true, false})
    void sixteenThreadsAddingAtOnceAllSucceedAndAreRecovered(boolean yieldWhileSyncing, @TempDir Path directory) throws Exception {
        List<StoredMessage> none = new ArrayList<>();
        ById store = SystemProperty.with(Journal.YIELD_PROPERTY, Boolean.toString(yieldWhileSyncing),
                () -> open(directory, 1024 * 1024, none));
        List<List<String>> added;
        try {
            added = together(THREADS, thread -> {
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    String id = "t" + thread + "-" + i;
                    store.add(message(id, 1 + i % 3), content(id, size(id)));
                    ids.add(id);
                }
                return ids;
            });
            assertEquals(THREADS * 40, store.messageCount());
        } finally {
            store.close();
        }

        List<StoredMessage> recovered = new ArrayList<>();
        try (ById again = open(directory, 1024 * 1024, recovered)) {
            assertEquals(THREADS * 40, recovered.size());
            for (int thread = 0; thread < THREADS; thread++) {
                String prefix = "t" + thread + "-";
                List<String> ofThread = recovered.stream().map(StoredMessage::id).filter(id -> id.startsWith(prefix)).toList();
                assertEquals(added.get(thread), ofThread, "messages of thread " + thread + ", in the order it added them");
            }
            for (StoredMessage m : recovered) {
                assertEquals(message(m.id(), m.envelope().recipients().size()), m);
                assertArrayEquals(content(m.id(), size(m.id())), again.content(m.id()), "content of " + m.id());
            }
        }
    }

    @Test
    void addsAndRemovesAtOnceOnSmallSegmentsNeverLoseAnAcknowledgedMessage(@TempDir Path directory) throws Exception {
        // Segments of 4 KiB roll every few records, and each remove reclaims: a message must be
        // readable the moment its add returns, whatever the other threads are doing.
        List<StoredMessage> none = new ArrayList<>();
        ById store = open(directory, 4096, none);
        List<List<String>> kept;
        try {
            kept = together(8, thread -> {
                // Every message removed at once: dead segments are reclaimed right up to the one being written.
                for (int i = 0; i < 100; i++) {
                    String id = "c" + thread + "-" + i;
                    store.add(message(id, 1), content(id, size(id)));
                    assertArrayEquals(content(id, size(id)), store.content(id), "content of " + id + " right after its add returned");
                    store.remove(id);
                }
                List<String> keep = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    String id = "k" + thread + "-" + i;
                    store.add(message(id, 1), content(id, size(id)));
                    keep.add(id);
                }
                return keep;
            });
            for (List<String> ids : kept) {
                for (String id : ids) {
                    assertArrayEquals(content(id, size(id)), store.content(id), "content of kept " + id);
                }
            }
        } finally {
            store.close();
        }

        List<StoredMessage> recovered = new ArrayList<>();
        try (ById again = open(directory, 4096, recovered)) {
            List<String> expected = kept.stream().flatMap(List::stream).sorted().toList();
            assertEquals(expected, recovered.stream().map(StoredMessage::id).sorted().toList());
            for (StoredMessage m : recovered) {
                assertArrayEquals(content(m.id(), size(m.id())), again.content(m.id()), "content of " + m.id() + " after reopen");
            }
        }
    }
}
