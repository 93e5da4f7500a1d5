package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The merge lane's percentiles are nearest-rank: each one a delay that was really measured. */
class LatenciesTest {

    @Test
    void percentilesAreValuesOfTheSampleByNearestRank() {
        long[] delays = new long[200];
        for (int i = 0; i < delays.length; i++) {
            delays[i] = delays.length - i; // 200 down to 1, unsorted on purpose
        }
        Latencies latencies = Latencies.of(delays);

        assertEquals(200, latencies.count());
        assertEquals(100, latencies.p50());
        assertEquals(198, latencies.p99());
        assertEquals(200, latencies.max());
        assertEquals(1, latencies.min());
        assertEquals(150, latencies.above(50));
        assertEquals("100 / 198 / 200", latencies.summary());
    }

    @Test
    void oneValueIsEveryPercentileAndNegativeDelaysCount() {
        Latencies one = Latencies.of(new long[]{-7});

        assertEquals(-7, one.p50());
        assertEquals(-7, one.p99());
        assertEquals(0, one.above(-7));
        assertEquals(1, one.above(-8));
    }

    @Test
    void noValuesOrABadShareAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Latencies.of(new long[0]));
        assertThrows(IllegalArgumentException.class, () -> Latencies.of(new long[]{1}).percentile(1.5));
    }
}
