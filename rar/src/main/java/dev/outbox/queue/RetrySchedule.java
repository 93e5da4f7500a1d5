package dev.outbox.queue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * When to try again after a temporary failure: a list of waits whose last one repeats, each
 * stretched by up to a tenth at random so that queues that failed together do not retry in
 * lockstep.
 *
 * <p>Written as a comma-separated list of durations such as {@code 1m,5m,15m,30m,1h}, units
 * {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}. The jitter's random source is
 * {@link ThreadLocalRandom} unless {@link #withJitter} gives another (tests make it
 * predictable). Immutable. Misuse: {@link #parse} throws {@link IllegalArgumentException}
 * naming the bad part.
 */
public final class RetrySchedule {

    /** The shortest wait a schedule may hold. */
    public static final Duration SHORTEST_WAIT = Duration.ofSeconds(1);

    /** The longest wait a schedule may hold: beyond it a message would expire before its next try anyway. */
    public static final Duration LONGEST_WAIT = Duration.ofDays(30);

    private static final LongUnaryOperator RANDOM = bound -> ThreadLocalRandom.current().nextLong(bound);

    private final List<Duration> waits;
    /** Given n, a number in 0..n-1. */
    private final LongUnaryOperator jitter;

    private RetrySchedule(List<Duration> waits, LongUnaryOperator jitter) {
        this.waits = List.copyOf(waits);
        this.jitter = jitter;
    }

    /**
     * The same schedule with {@code jitter} as its random source: given n, it returns the
     * extra milliseconds, in 0..n-1.
     */
    public RetrySchedule withJitter(LongUnaryOperator jitter) {
        return new RetrySchedule(waits, jitter);
    }

    public static RetrySchedule parse(String text) {
        List<Duration> waits = new ArrayList<>();
        for (String part : text.split(",")) {
            Duration wait = DurationText.parse(part);
            if (wait.compareTo(SHORTEST_WAIT) < 0) {
                throw new IllegalArgumentException("retry wait \"" + part.strip() + "\" is shorter than "
                        + DurationText.format(SHORTEST_WAIT) + " (a typo for minutes would hammer a dead next hop)");
            }
            if (wait.compareTo(LONGEST_WAIT) > 0) {
                throw new IllegalArgumentException("retry wait \"" + part.strip() + "\" is longer than " + DurationText.format(LONGEST_WAIT));
            }
            waits.add(wait);
        }
        if (waits.isEmpty()) {
            throw new IllegalArgumentException("the retry schedule is empty");
        }
        return new RetrySchedule(waits, RANDOM);
    }

    /** The wait after failure number {@code failures} (1 for the first), jitter included. */
    public Duration after(int failures) {
        Duration base = waits.get(Math.min(Math.max(failures, 1), waits.size()) - 1);
        long most = base.toMillis() / 10;
        if (most <= 0) {
            return base;
        }
        long extra = jitter.applyAsLong(most + 1);
        if (extra < 0 || extra > most) {
            throw new IllegalStateException("retry jitter gave " + extra + " ms, outside 0.." + most);
        }
        return base.plusMillis(extra);
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Duration wait : waits) {
            text.append(text.isEmpty() ? "" : ",").append(DurationText.format(wait));
        }
        return text.toString();
    }

    /** Durations as operators write them: 500ms, 30s, 5m, 4h, 2d. */
    public static final class DurationText {

        /** Ten years: more than any setting needs, and far from overflowing when added to the clock. */
        static final long MAX_MILLIS = 3650L * 86_400_000;

        private DurationText() {
        }

        public static Duration parse(String text) {
            String value = text.strip().toLowerCase(Locale.ROOT);
            int split = 0;
            while (split < value.length() && Character.isDigit(value.charAt(split))) {
                split++;
            }
            if (split == 0 || split == value.length()) {
                throw new IllegalArgumentException("duration \"" + text.strip() + "\" is not a number and a unit (ms, s, m, h, d)");
            }
            long amount;
            try {
                amount = Long.parseLong(value.substring(0, split));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("duration \"" + text.strip() + "\" is too large");
            }
            long unitMillis = switch (value.substring(split)) {
                case "ms" -> 1;
                case "s" -> 1_000;
                case "m" -> 60_000;
                case "h" -> 3_600_000;
                case "d" -> 86_400_000;
                default -> throw new IllegalArgumentException("duration \"" + text.strip() + "\" has unit \""
                        + value.substring(split) + "\"; use ms, s, m, h or d");
            };
            if (amount > MAX_MILLIS / unitMillis) {
                throw new IllegalArgumentException("duration \"" + text.strip() + "\" is too large (at most 3650d)");
            }
            return Duration.ofMillis(amount * unitMillis);
        }

        public static String format(Duration duration) {
            long millis = duration.toMillis();
            if (millis % 86_400_000 == 0) {
                return millis / 86_400_000 + "d";
            }
            if (millis % 3_600_000 == 0) {
                return millis / 3_600_000 + "h";
            }
            if (millis % 60_000 == 0) {
                return millis / 60_000 + "m";
            }
            return millis % 1000 == 0 ? millis / 1000 + "s" : millis + "ms";
        }
    }
}
