package dev.outbox.bench;

import java.util.Locale;

/**
 * What the harnesses' flag parsers share: a whole-number value checked against its range, so
 * every flag fails the same way. Misuse: a value that is not a whole number, or is out of range,
 * throws {@link IllegalArgumentException} naming the flag and the range.
 */
public final class Flags {

    private Flags() {
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
