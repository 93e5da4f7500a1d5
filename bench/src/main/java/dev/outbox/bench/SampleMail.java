package dev.outbox.bench;

import dev.outbox.api.Envelope;
import dev.outbox.api.OutboxException;
import dev.outbox.queue.QueueIds;
import dev.outbox.queue.SubmitLimits;
import dev.outbox.queue.Submission;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * Messages as the engine queues them: one envelope with one recipient or several, canonical RFC 5322
 * content of an exact size (a small header section, then a body of 76-character lines), every
 * recipient {@code QUEUED}, ids from the engine's {@link QueueIds}.
 *
 * <p>{@link #ofSize} builds the content once and passes it through {@link Submission}, the
 * engine's own submit path, so the bytes are what the engine would hand its store;
 * {@link #next} gives a new {@link StoredMessage} with a fresh id each call, all sharing that
 * content, for the store; {@link #submission} the same message for {@code MailQueue.submit}. Safe from any thread. Misuse: a size below 512 bytes throws
 * {@link IllegalArgumentException}.
 */
final class SampleMail {

    /** The engine's default message expiry. */
    private static final Duration EXPIRY = Duration.ofDays(2);

    /** The envelope's sender. */
    static final String SENDER = "sender@example.com";

    private static final String FILLER = "Outbox keeps this message on stable storage until the next hop accepts it. ";

    private final QueueIds ids = new QueueIds(Clock.systemUTC());
    private final Submission submission;
    private final byte[] content;

    private SampleMail(Submission submission) {
        this.submission = submission;
        this.content = submission.content().bytes();
    }

    /** A message to recipient@example.org. */
    static SampleMail ofSize(int bytes) {
        return ofSize(bytes, "recipient@example.org");
    }

    static SampleMail ofSize(int bytes, String recipient) {
        return ofSize(bytes, List.of(recipient));
    }

    /** A message to each of {@code recipients} (the header names the first), {@code bytes} long as the engine stores it. */
    static SampleMail ofSize(int bytes, List<String> recipients) {
        String recipient = recipients.get(0);
        if (bytes < 512) {
            throw new IllegalArgumentException("sample message of " + bytes + " bytes: at least 512 are needed for its header");
        }
        Envelope envelope = Envelope.of(SENDER, recipients);
        StringBuilder text = new StringBuilder(bytes);
        text.append("Date: ").append(DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(Clock.systemUTC()))).append("\r\n");
        text.append("From: Outbox Benchmark <sender@example.com>\r\n");
        text.append("To: <").append(recipient).append(">\r\n");
        text.append("Subject: Outbox benchmark, ").append(bytes).append(" bytes\r\n");
        text.append("Message-ID: <bench-").append(bytes).append("@bench.outbox.dev>\r\n");
        text.append("MIME-Version: 1.0\r\n");
        text.append("Content-Type: text/plain; charset=US-ASCII\r\n");
        text.append("\r\n");
        int remaining = bytes - text.length();
        for (int at = 0; remaining > 0; ) {
            int line = Math.min(76, remaining - 2);
            for (int i = 0; i < line; i++, at++) {
                text.append(FILLER.charAt(at % FILLER.length()));
            }
            text.append("\r\n");
            remaining -= line + 2;
        }
        byte[] raw = text.toString().getBytes(StandardCharsets.US_ASCII);
        Submission submission;
        try {
            submission = Submission.of(new ByteArrayInputStream(raw), envelope, new SubmitLimits(2L * bytes, recipients.size()), "bench.outbox.dev");
        } catch (OutboxException e) {
            throw new IllegalStateException("the engine refused the sample message of " + bytes + " bytes: " + e.getMessage(), e);
        }
        int canonical = submission.content().bytes().length;
        if (canonical != bytes) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "the sample message should be %d bytes as the engine stores it, but is %d", bytes, canonical));
        }
        return new SampleMail(submission);
    }

    /** The message as an application submits it, for {@code MailQueue.submit}; the queue gives each submit its own id. */
    Submission submission() {
        return submission;
    }

    /** The content, as the engine stores it. Callers must not modify the array. */
    byte[] content() {
        return content;
    }

    int size() {
        return content.length;
    }

    /** A new message with a fresh queue id, submitted now, its recipient {@code QUEUED}. */
    StoredMessage next() {
        long now = System.currentTimeMillis();
        return new StoredMessage(ids.next(), now, now + EXPIRY.toMillis(), submission.envelope(), List.of(RecipientStatus.QUEUED));
    }
}
