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
    /** Each ASCII character's value in the alphabet, or -1. */
    private static final byte[] VALUES = new byte[128];
    /** The characters of an id {@link #next} writes. */
    static final int LENGTH = 26;

    static {
        java.util.Arrays.fill(VALUES, (byte) -1);
        for (int i = 0; i < ALPHABET.length; i++) {
            VALUES[ALPHABET[i]] = (byte) i;
        }
    }

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
        return text((lastMillis << 16) | randomHigh, randomLow);
    }

    /**
     * The id whose 128 bits are {@code high} (48 bits of milliseconds, then the top 16 random
     * bits) and {@code low} (the other 64 random bits), as {@link #high} and {@link #low} read them.
     */
    static String text(long high, long low) {
        char[] id = new char[LENGTH];
        encode(id, 0, 10, high >>> 16);
        // 80 random bits as 16 characters: the top 16 bits and the first 24 of the low word,
        // then the remaining 40 bits.
        encode(id, 10, 8, ((high & 0xFFFF) << 24) | (low >>> 40));
        encode(id, 18, 8, low & 0xFF_FFFF_FFFFL);
        return new String(id);
    }

    /**
     * True when {@code id} is an id as {@link #next} writes it (26 characters of the alphabet, in
     * upper case, whose time fits 47 bits), so that {@link #high} and {@link #low} hold all of it:
     * {@code text(high(id), low(id))} equals {@code id}, and {@link #high} is not negative (a
     * {@link QueuedMessage} takes a negative one for an id kept whole: a time with bit 47 set, a
     * valid ULID from the year 6429 on, is kept whole too).
     */
    static boolean isCompact(String id) {
        if (id.length() != LENGTH) {
            return false;
        }
        for (int i = 0; i < LENGTH; i++) {
            char c = id.charAt(i);
            if (c >= 128 || VALUES[c] < 0) {
                return false;
            }
        }
        return decode(id, 0, 10) >>> 47 == 0;
    }

    /** The first 64 of the 128 bits of {@code id}, which {@link #isCompact}. */
    static long high(String id) {
        long mid = decode(id, 10, 8);
        return (decode(id, 0, 10) << 16) | (mid >>> 24);
    }

    /** The last 64 of the 128 bits of {@code id}, which {@link #isCompact}. */
    static long low(String id) {
        return ((decode(id, 10, 8) & 0xFF_FFFF) << 40) | decode(id, 18, 8);
    }

    private static long decode(String id, int offset, int chars) {
        long value = 0;
        for (int i = offset; i < offset + chars; i++) {
            value = (value << 5) | VALUES[id.charAt(i)];
        }
        return value;
    }

    /** True for the id of a notice Outbox made (its original's id and a suffix), false for a submitted message's. */
    public static boolean isNotice(String id) {
        return id.length() > LENGTH;
    }

    /** The milliseconds a queue id carries: when it was issued (for a notice: when its original was). */
    public static long millisOf(String id) {
        for (int i = 0; i < 10; i++) {
            char c = i < id.length() ? id.charAt(i) : 0;
            if (c >= 128 || VALUES[c] < 0) {
                throw new IllegalArgumentException("\"" + id + "\" is not a queue id");
            }
        }
        return decode(id, 0, 10);
    }

    private static void encode(char[] into, int offset, int chars, long value) {
        for (int i = offset + chars - 1; i >= offset; i--) {
            into[i] = ALPHABET[(int) (value & 31)];
            value >>>= 5;
        }
    }
}
