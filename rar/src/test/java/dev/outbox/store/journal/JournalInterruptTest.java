package dev.outbox.store.journal;

import dev.outbox.store.TestMessages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a caller with its interrupt flag set (as WildFly leaves cancelled work) neither
 * breaks the store for other threads nor loses its own interrupt.
 */
class JournalInterruptTest {

    @TempDir
    Path directory;

    @Test
    void interruptedCallersLeaveTheStoreUsable() throws Exception {
        try (JournalStore store = new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 1 << 20)) {
            store.recover(message -> { });
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
        try (JournalStore reopened = new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 1 << 20)) {
            reopened.recover(message -> recovered.add(message.id()));
        }
        assertEquals(List.of("before", "during", "after"), recovered);
    }
}
