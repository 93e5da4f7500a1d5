package dev.outbox.queue;

import java.security.SecureRandom;
import java.time.Clock;

/**
 * Issues queue ids: 26 characters of Crockford base 32 (a ULID), 48 bits of milliseconds then
 * 80 random bits, so ids sort by submit time and never repeat across restarts or nodes.
 * Within one millisecond the random part counts up, keeping the order strict.
 *
 * <p>Thread-safe.
 */
public final class QueueIds {

    private static final char[] ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ".toCharArray();

    private final Clock clock;
    private final SecureRandom random = new SecureRandom();
    private long lastMillis = -1;
    private long randomHigh; // 16 bits
    private long randomLow;  // 64 bits

    public QueueIds(Clock clock) {
        this.clock = clock;
    }

    /** A new id, greater than every id this instance issued before. */
    public synchronized String next() {
        long millis = Math.max(clock.millis(), lastMillis);
        if (millis != lastMillis) {
            lastMillis = millis;
            randomHigh = random.nextInt(1 << 16);
            randomLow = random.nextLong();
        } else if (++randomLow == 0 && ++randomHigh == 1 << 16) {
            // 2^80 ids in one millisecond: borrow the next millisecond.
            lastMillis++;
            randomHigh = 0;
        }
        char[] id = new char[26];
        encode(id, 0, 10, lastMillis);
        // 80 random bits as 16 characters: the top 16 bits and the first 24 of the low word,
        // then the remaining 40 bits.
        encode(id, 10, 8, (randomHigh << 24) | (randomLow >>> 40));
        encode(id, 18, 8, randomLow & 0xFF_FFFF_FFFFL);
        return new String(id);
    }

    /** True for the id of a notice Outbox made (its original's id and a suffix), false for a submitted message's. */
    public static boolean isNotice(String id) {
        return id.length() > 26;
    }

    /** The milliseconds a queue id carries: when it was issued (for a notice: when its original was). */
    public static long millisOf(String id) {
        long millis = 0;
        for (int i = 0; i < 10; i++) {
            int digit = DIGITS.indexOf(id.charAt(i));
            if (digit < 0) {
                throw new IllegalArgumentException("\"" + id + "\" is not a queue id");
            }
            millis = (millis << 5) | digit;
        }
        return millis;
    }

    private static final String DIGITS = new String(ALPHABET);

    private static void encode(char[] into, int offset, int chars, long value) {
        for (int i = offset + chars - 1; i >= offset; i--) {
            into[i] = ALPHABET[(int) (value & 31)];
            value >>>= 5;
        }
    }
}
