package dev.outbox.bench;

import dev.outbox.api.Envelope;
import dev.outbox.queue.QueueIds;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;
import dev.outbox.store.journal.JournalStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A backlog written into a stopped server's store, so that the server recovers it when it
 * starts: the scale lane's fill. The journal is what the server would have written itself (the
 * same {@link JournalStore} code, opened as {@code OutboxResourceAdapter} opens it, on
 * {@code outbox/journal} under the server's data directory), so the recovery and the heap the
 * server then shows are those of a server that had queued the messages through its applications;
 * only the fill is faster.
 *
 * <p>Each message has one recipient of its own, {@link #recipient}({@code n}), numbered from 0 in
 * the order the submitters take them (so the last numbers are among the last written), and a
 * search by recipient finds one message; every
 * message shares one content of the asked size (as canonical as the engine stores it,
 * {@link SampleMail}), the sender {@value #SENDER}, the engine's queue ids and its default expiry
 * of two days. Every recipient is {@code QUEUED}.
 *
 * <p>{@link #write} requires a data directory with no store in it yet, and closes the store
 * before it returns. Failures: a store that is not empty throws {@link IllegalStateException}
 * naming a message found; a failed write as {@link CountedRun} reports it.
 */
final class ServerBacklog {

    static final String SENDER = "sender@example.com";
    /** Concurrent submitters that fill the backlog: group commit keeps the fill short. */
    static final int FILL_SUBMITTERS = 32;

    /** As {@code OutboxResourceAdapter} opens its store: segment size, and room for a 10 MiB message beside 32 MiB of framing. */
    private static final long SEGMENT_BYTES = 64L * 1024 * 1024;
    private static final int MAX_RECORD_BYTES = (10 + 32) * 1024 * 1024;
    private static final Duration EXPIRY = Duration.ofDays(2);

    /**
     * What was written.
     *
     * @param fill      one operation per message
     * @param diskBytes the journal's size on disk
     * @param segments  its segment files
     */
    record Result(long messages, int contentBytes, Rate fill, long diskBytes, int segments) {
    }

    private ServerBacklog() {
    }

    /** The store's directory under a server's data directory ({@code outbox.store-directory}'s default, then {@code journal}). */
    static Path journalDirectory(Path dataDirectory) {
        return dataDirectory.resolve("outbox").resolve("journal");
    }

    /** The recipient of the {@code n}-th message taken by a submitter. */
    static String recipient(long n) {
        return String.format(Locale.ROOT, "rcpt%07d@scale.example", n);
    }

    static Result write(Path dataDirectory, int contentBytes, long count) throws Exception {
        Path directory = journalDirectory(dataDirectory);
        byte[] content = SampleMail.ofSize(contentBytes).content();
        QueueIds ids = new QueueIds(Clock.systemUTC());
        AtomicLong next = new AtomicLong();
        JournalStore store = new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES);
        Rate fill;
        try {
            store.recover((message, length) -> {
                throw new IllegalStateException("the server's store in " + directory + " is not empty: it holds message " + message.id());
            });
            Progress.say("scale: writing %,d messages of %,d bytes into %s with %d submitters", count, contentBytes, directory,
                    FILL_SUBMITTERS);
            fill = CountedRun.measure("scale fill", FILL_SUBMITTERS, count, content.length, () -> {
                long now = System.currentTimeMillis();
                Envelope envelope = Envelope.of(SENDER, recipient(next.getAndIncrement()));
                store.add(new StoredMessage(ids.next(), now, now + EXPIRY.toMillis(), envelope, List.of(RecipientStatus.QUEUED)), content);
            });
        } finally {
            store.close();
        }
        long bytes = 0;
        int segments = 0;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(p -> p.getFileName().toString().endsWith(".journal")).toList()) {
                bytes += Files.size(file);
                segments++;
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot list the journal in " + directory + ": " + e.getMessage(), e);
        }
        return new Result(count, content.length, fill, bytes, segments);
    }
}
