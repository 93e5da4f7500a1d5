package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JDK retry clock keeps the EJB timers' contract: one wake-up per destination, a new request replaces it, none early. */
class TimerWakeupsTest {

    private record Woken(String destination, long atMillis) {
    }

    @Test
    void aNewRequestReplacesTheDestinationsPendingOneAndNothingFiresEarly() throws Exception {
        List<Woken> woken = new CopyOnWriteArrayList<>();
        try (TimerWakeups clock = new TimerWakeups()) {
            assertFalse(clock.wakeAt("a.example", Instant.now()), "no engine attached yet: the queue must ask again");
            clock.attach(destination -> woken.add(new Woken(destination, System.currentTimeMillis())), () -> { });

            long now = System.currentTimeMillis();
            assertTrue(clock.wakeAt("a.example", Instant.ofEpochMilli(now + 300)));
            assertTrue(clock.wakeAt("a.example", Instant.ofEpochMilli(now + 100))); // replaces the one at +300
            assertTrue(clock.wakeAt("b.example", Instant.ofEpochMilli(now + 150)));
            waitFor(() -> woken.size() >= 2);
            Thread.sleep(400); // past the replaced one's time: it must not fire

            assertEquals(List.of("a.example", "b.example"), woken.stream().map(Woken::destination).toList());
            assertTrue(woken.get(0).atMillis() >= now + 100, "fired " + (woken.get(0).atMillis() - now) + " ms after the request, before its time");
            assertTrue(woken.get(1).atMillis() >= now + 150);
            assertEquals(3, clock.requested());
            assertEquals(2, clock.fired());
        }
    }

    @Test
    void attachingTwiceIsRefused() throws Exception {
        try (TimerWakeups clock = new TimerWakeups()) {
            clock.attach(destination -> { }, () -> { });
            assertThrows(IllegalStateException.class, () -> clock.attach(destination -> { }, () -> { }));
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 5 s");
            }
            Thread.sleep(5);
        }
    }
}
