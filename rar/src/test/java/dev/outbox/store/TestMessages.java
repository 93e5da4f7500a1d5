package dev.outbox.store;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Messages and contents for store tests, each a pure function of its arguments, so that a test
 * (or another JVM) can recompute exactly what was stored and compare it byte for byte.
 */
public final class TestMessages {

    /** A fixed submit time: tests never read the wall clock. */
    public static final long SUBMIT_MILLIS = 1_700_000_000_000L;
    public static final long EXPIRY_MILLIS = SUBMIT_MILLIS + 2 * 24 * 3600 * 1000L;

    private TestMessages() {
    }

    /** Message {@code id} from sender@example.org to {@code recipients} recipients, all QUEUED. */
    public static StoredMessage message(String id, int recipients) {
        List<String> to = new ArrayList<>();
        List<RecipientStatus> statuses = new ArrayList<>();
        for (int i = 0; i < recipients; i++) {
            to.add("rcpt" + i + "@dest" + (i % 3) + ".example.com");
            statuses.add(RecipientStatus.QUEUED);
        }
        return new StoredMessage(id, SUBMIT_MILLIS + id.hashCode(), EXPIRY_MILLIS, Envelope.of("sender@example.org", to), statuses);
    }

    /** {@code message} with its statuses replaced. */
    public static StoredMessage withStatuses(StoredMessage message, List<RecipientStatus> statuses) {
        return new StoredMessage(message.id(), message.submitMillis(), message.expiryMillis(), message.envelope(), statuses);
    }

    /** A deferred status due at {@code due} after {@code attempts} attempts. */
    public static RecipientStatus deferred(long due, int attempts) {
        return new RecipientStatus(RecipientState.DEFERRED, due, attempts);
    }

    /** A terminal status after {@code attempts} attempts. */
    public static RecipientStatus done(RecipientState state, int attempts) {
        return new RecipientStatus(state, 0, attempts);
    }

    /**
     * {@code size} bytes of content for message {@code id}: a header naming the id (so content
     * read back for the wrong message is recognized), then bytes of every value drawn from a
     * generator seeded by the id.
     */
    public static byte[] content(String id, int size) {
        byte[] bytes = new byte[size];
        new SplittableRandom(id.hashCode() * 31L + size).nextBytes(bytes);
        byte[] header = ("Message-ID: <" + id + ">\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(header, 0, bytes, 0, Math.min(header.length, size));
        return bytes;
    }
}
