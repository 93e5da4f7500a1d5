package dev.outbox.bench;

import java.util.Locale;

/**
 * One line on standard error per step of the run, with the seconds since the run started, so a
 * long run shows where it is. The results table goes to standard output; this never does.
 */
public final class Progress {

    private static final long START = System.nanoTime();

    private Progress() {
    }

    public static void say(String format, Object... args) {
        double seconds = (System.nanoTime() - START) / 1e9;
        System.err.printf(Locale.ROOT, "[bench %6.1fs] %s%n", seconds, String.format(Locale.ROOT, format, args));
    }
}
