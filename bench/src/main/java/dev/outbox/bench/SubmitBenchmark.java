package dev.outbox.bench;

import dev.outbox.store.journal.JournalStore;

import java.nio.file.Path;

/**
 * Durable submits: threads calling {@link JournalStore#add} in a loop on one store, each call
 * returning only once its record is synced. With more than one submitter the store's group
 * commit shares one sync among the records queued meanwhile.
 *
 * <p>{@link #open} opens and recovers (finding nothing) a store on an empty directory;
 * {@link #operations} gives the operation for {@link TimedRun}, any number of threads side by
 * side, each adding a new {@link SampleMail} message per run; {@link #close} closes the store and
 * leaves its files for the caller to delete. Misuse: a directory that already holds messages
 * throws {@link IllegalStateException}.
 */
final class SubmitBenchmark implements AutoCloseable {

    private final JournalStore store;
    private final SampleMail mail;

    private SubmitBenchmark(JournalStore store, SampleMail mail) {
        this.store = store;
        this.mail = mail;
    }

    static SubmitBenchmark open(StoreLayout layout, Path directory, SampleMail mail) {
        JournalStore store = layout.open(directory);
        store.recover((message, length) -> {
            throw new IllegalStateException("a fresh store in " + directory + " recovered message " + message.id());
        });
        return new SubmitBenchmark(store, mail);
    }

    TimedRun.Operations operations() {
        byte[] content = mail.content();
        return thread -> () -> store.add(mail.next(), content);
    }

    @Override
    public void close() {
        store.close();
    }
}
