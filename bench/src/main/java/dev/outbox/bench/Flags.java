package dev.outbox.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the harnesses' flag parsers share: the command line as {@code --name value} pairs, and a
 * whole-number value checked against its range, so every flag fails the same way. Misuse: a flag
 * without a value, a value that is not a whole number, or one out of range, throws
 * {@link IllegalArgumentException} naming the flag (and the range).
 */
public final class Flags {

    private Flags() {
    }

    /** One flag and its value. */
    public record Pair(String flag, String value) {
    }

    /** {@code args} as flag-value pairs, in order (so a later flag can override an earlier one). */
    public static List<Pair> pairs(String[] args) {
        List<Pair> pairs = new ArrayList<>();
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("flag " + args[i] + " needs a value");
            }
            pairs.add(new Pair(args[i], args[i + 1]));
        }
        return pairs;
    }

    /** {@code value} of {@code flag} as a whole number from {@code min} to {@code max} ("10_000" allowed). */
    public static long number(String flag, String value, long min, long max) {
        long n;
        try {
            n = Long.parseLong(value.replace("_", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "flag %s: '%s' is not a whole number", flag, value), e);
        }
        if (n < min || n > max) {
            throw new IllegalArgumentException(String.format(Locale.ROOT, "flag %s: %d is outside %d..%d", flag, n, min, max));
        }
        return n;
    }
}
