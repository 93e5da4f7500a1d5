package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The merge lane's arrivals: every operation runs once, none before its time, and a failure ends the run naming it. */
class PacedRunTest {

    @Test
    void everyOperationRunsOnceAndNoneBeforeItIsDue() throws Exception {
        int count = 40;
        int perSecond = 400; // one every 2.5 ms: the run takes about 0.1 s
        AtomicLongArray ranAt = new AtomicLongArray(count);
        long start = System.nanoTime();

        double reached = PacedRun.run("test", 3, count, perSecond, start, 0, slots -> {
            for (int k; (k = slots.next()) >= 0; ) {
                assertEquals(0, ranAt.getAndSet(k, System.nanoTime()), "operation " + k + " ran twice");
            }
        });

        long step = TimeUnit.SECONDS.toNanos(1) / perSecond;
        for (int k = 0; k < count; k++) {
            assertTrue(ranAt.get(k) >= start + k * step, "operation " + k + " ran " + (start + k * step - ranAt.get(k)) + " ns early");
        }
        assertTrue(reached <= perSecond * 1.05, "reached " + reached + " a second, above the pace");
    }

    @Test
    void theFirstFailureEndsEveryThreadAndIsRethrownNamingTheRun() {
        IllegalStateException failure = assertThrows(IllegalStateException.class, () ->
                PacedRun.run("doomed", 2, 1000, 10_000, System.nanoTime(), 0, slots -> {
                    for (int k; (k = slots.next()) >= 0; ) {
                        if (k == 5) {
                            throw new IllegalArgumentException("operation 5 refused");
                        }
                    }
                }));

        assertEquals("doomed failed: operation 5 refused", failure.getMessage());
    }
}
