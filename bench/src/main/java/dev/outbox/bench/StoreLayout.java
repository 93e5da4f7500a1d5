package dev.outbox.bench;

import dev.outbox.store.journal.JournalStore;

import java.nio.file.Path;

/**
 * How the harness configures the store under test: the journal segment size and the largest
 * record; no size limit of its own, so only the disk (less the store's reserve) bounds it.
 *
 * @param segmentBytes   size at which the journal starts a new segment
 * @param maxRecordBytes the largest record the journal accepts: room for the engine's
 *                       default 10 MiB message limit and its envelope
 */
record StoreLayout(long segmentBytes, int maxRecordBytes) {

    static StoreLayout of(BenchSettings settings) {
        return new StoreLayout(settings.segmentBytes(), 16 * 1024 * 1024);
    }

    /** A store on {@code directory}, not yet recovered. */
    JournalStore open(Path directory) {
        return new JournalStore(directory, segmentBytes, Long.MAX_VALUE, maxRecordBytes);
    }
}
