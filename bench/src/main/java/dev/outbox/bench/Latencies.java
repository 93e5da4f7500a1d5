package dev.outbox.bench;

import java.util.Arrays;
import java.util.Locale;

/**
 * A distribution of delays in whole milliseconds, as the merge lane reports it: how many, the
 * median, the 99th percentile and the largest, each by the nearest-rank method (the smallest
 * value that at least that share of the values do not exceed), so every figure is a delay that
 * was really measured. Values may be negative (an attempt before its due time).
 *
 * <p>Immutable. Misuse: no values throws {@link IllegalArgumentException}; so does a share
 * outside 0..1.
 */
final class Latencies {

    private final long[] sorted;

    private Latencies(long[] sorted) {
        this.sorted = sorted;
    }

    static Latencies of(long[] millis) {
        if (millis.length == 0) {
            throw new IllegalArgumentException("a distribution of no delays");
        }
        long[] sorted = millis.clone();
        Arrays.sort(sorted);
        return new Latencies(sorted);
    }

    int count() {
        return sorted.length;
    }

    /** The nearest-rank percentile: the value at rank ceil(share x count). */
    long percentile(double share) {
        if (share < 0 || share > 1) {
            throw new IllegalArgumentException("a percentile's share is " + share + ", outside 0..1");
        }
        int rank = (int) Math.ceil(share * sorted.length);
        return sorted[Math.max(rank, 1) - 1];
    }

    long p50() {
        return percentile(0.50);
    }

    long p99() {
        return percentile(0.99);
    }

    long min() {
        return sorted[0];
    }

    long max() {
        return sorted[sorted.length - 1];
    }

    /** How many values are above {@code millis}. */
    int above(long millis) {
        int count = 0;
        for (int i = sorted.length - 1; i >= 0 && sorted[i] > millis; i--) {
            count++;
        }
        return count;
    }

    /** "p50 3 / p99 17 / max 41": the table's value cell. */
    String summary() {
        return String.format(Locale.ROOT, "%d / %d / %d", p50(), p99(), max());
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%,d delays: min %d, p50 %d, p99 %d, max %d ms", count(), min(), p50(), p99(), max());
    }
}
