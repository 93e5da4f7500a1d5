package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Gives back the disk space of finished messages: deletes segments no live message is in, and
 * moves the last few live messages out of an old segment so that it can go.
 *
 * <p>Owns, per segment, how many messages were written there and how many of them are live.
 * A segment is deleted once it is the oldest and no message it holds is still live. A few
 * long-deferred messages would otherwise pin every later segment, so when at most half of the
 * oldest segment's messages are live, they are written again, whole, at the end of the journal,
 * and the segment goes. A segment more than half live stays, and keeps the later ones, until
 * enough of its mail has finished. Replay order makes that safe: the rewritten record comes after
 * every older update of the message, and an update or removal of a message whose record is gone
 * is ignored.
 *
 * <p>Operations, all for {@link JournalStore}: {@link #written} and {@link #live} count what
 * recovery found, and {@link #recovered} adds those counts up once it is done; an add calls {@link #beginAdd}, appends, calls {@link #added}, then
 * {@link #endAdd} (in a finally); a removal calls {@link #removed} after its record is durable,
 * then {@link #reclaimOrLog}. Threading: any thread; one reclamation at a time, beside adds,
 * except the deletion, which waits for adds between their append and their count (without that a
 * segment could be deleted, as neither current nor live, between the two). Failure: a failed
 * move or deletion costs only space; {@link #reclaimOrLog} logs it and a later removal tries
 * again, and every message stays where its index entry says.
 */
final class SpaceReclaimer {

    private static final Logger LOG = Logger.getLogger(JournalStore.class.getName());

    /** How many messages one sync carries when they are moved. */
    private static final int RELOCATION_BATCH = 256;

    private final Journal journal;
    private final Map<String, JournalStore.Entry> index;
    private final Path directory;
    private final Map<Long, AtomicInteger> live = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> written = new ConcurrentHashMap<>();
    /** Recovery's counts, one map update per run of messages in one segment, not one per message. */
    private final Tally recoveredWritten = new Tally(written);
    private final Tally recoveredLive = new Tally(live);
    private final Object reclaiming = new Object();
    /**
     * Held shared by an add from its append until its message counts as live in its segment, and
     * exclusively by the deletion of segments.
     */
    private final ReentrantReadWriteLock adding = new ReentrantReadWriteLock();
    private long lastSegmentConsidered = -1;
    /** Messages whose record was found damaged when they were to be moved: each is reported once. */
    private final Set<String> damaged = ConcurrentHashMap.newKeySet();

    SpaceReclaimer(Journal journal, Map<String, JournalStore.Entry> index, Path directory) {
        this.journal = journal;
        this.index = index;
        this.directory = directory;
    }

    /** Recovery found a message's record in {@code segment}; counted once {@link #recovered} is called. */
    void written(long segment) {
        recoveredWritten.add(segment);
    }

    /** Recovery found the message whose last record is in {@code segment} live; counted once {@link #recovered} is called. */
    void live(long segment) {
        recoveredLive.add(segment);
    }

    /** Recovery is done: what {@link #written} and {@link #live} were told counts. Before any removal and the first {@link #reclaimOrLog}. */
    void recovered() {
        recoveredWritten.flush();
        recoveredLive.flush();
    }

    /**
     * Recovery found a record in {@code segment} that does not decode (a later version's, say):
     * the segment counts it as a live message for good, so it is neither moved out nor deleted.
     */
    void pin(long segment) {
        count(live, segment, 1);
        count(written, segment, 1);
    }

    void beginAdd() {
        adding.readLock().lock();
    }

    void endAdd() {
        adding.readLock().unlock();
    }

    /** An add's record is durable in {@code segment}; called between {@link #beginAdd} and {@link #endAdd}. */
    void added(long segment) {
        count(live, segment, 1);
        count(written, segment, 1);
    }

    /** The removal of a message whose record is in {@code segment} is durable. */
    void removed(long segment) {
        count(live, segment, -1);
    }

    private static void count(Map<Long, AtomicInteger> counts, long segment, int delta) {
        counts.computeIfAbsent(segment, s -> new AtomicInteger()).addAndGet(delta);
    }

    /** {@link #reclaim}, a failure of which is logged: it costs only space, and a later removal tries again. */
    void reclaimOrLog() {
        try {
            reclaim();
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "Outbox journal " + directory + ": could not reclaim space; a later removal tries again", e);
        }
    }

    /**
     * Moves the last live messages out of the oldest segment when it is mostly dead, then
     * deletes dead segments from the oldest on. Moving runs beside submits (an add never writes
     * to an old segment); only the deletion excludes adds, briefly, so that no segment goes
     * while an add that wrote to it has yet to count itself live there.
     */
    private void reclaim() {
        if (journal.segmentCount() < 2) {
            return; // only the segment being written: nothing to reclaim, and no lock to take
        }
        synchronized (reclaiming) {
            relocateOldestIfMostlyDead();
            long oldest = journal.oldestSegment();
            if (oldest == journal.currentSegment() || value(live, oldest) > 0) {
                return; // nothing to delete: no need to hold up submits (checked again under the lock)
            }
            adding.writeLock().lock();
            try {
                deleteDeadSegments();
            } finally {
                adding.writeLock().unlock();
            }
        }
    }

    private void relocateOldestIfMostlyDead() {
        long current = journal.currentSegment();
        long oldest = journal.oldestSegment();
        int liveCount = value(live, oldest);
        // Considered once per new segment at most: it scans the index.
        if (oldest == current || liveCount == 0 || journal.segmentCount() < 3 || lastSegmentConsidered == current
                || liveCount * 2L > value(written, oldest)) {
            return;
        }
        lastSegmentConsidered = current;
        relocate(oldest);
    }

    private void deleteDeadSegments() {
        long current = journal.currentSegment();
        for (long segment : journal.segmentIds()) {
            if (segment == current || value(live, segment) > 0) {
                return;
            }
            if (!journal.delete(segment)) {
                return; // a batch written there is still being synced: its adds have yet to count
            }
            live.remove(segment);
            written.remove(segment);
        }
    }

    private void relocate(long segment) {
        List<Pinned> pinned = new ArrayList<>();
        for (Map.Entry<String, JournalStore.Entry> indexed : index.entrySet()) {
            if (indexed.getValue().segment == segment) {
                pinned.add(new Pinned(indexed.getKey(), indexed.getValue()));
            }
        }
        JournalRecords.Reading reading = new JournalRecords.Reading();
        for (int from = 0; from < pinned.size(); from += RELOCATION_BATCH) {
            relocateLocked(segment, pinned.subList(from, Math.min(pinned.size(), from + RELOCATION_BATCH)), 0, new ArrayList<>(),
                    reading);
        }
        LOG.fine(() -> "Outbox journal: moved " + pinned.size() + " live messages out of segment " + segment);
    }

    /** A live message in the segment being emptied: its id, for what a failure says, and its entry. */
    private record Pinned(String id, JournalStore.Entry entry) {
    }

    /**
     * Takes the monitors of {@code batch} one inside the other, then writes the copies of those
     * still in {@code segment} with one sync. Each message stays locked from reading its state
     * to its copy being durable, so no update can fall between the two and be overwritten at
     * replay. Other threads hold one entry's monitor at a time and never wait for another
     * while holding it, so this cannot deadlock. A copy is the message's record read back whole
     * (the index keeps no envelope) with the statuses and mark its entry has now.
     */
    private void relocateLocked(long segment, List<Pinned> batch, int next, List<Pinned> locked, JournalRecords.Reading reading) {
        if (next < batch.size()) {
            Pinned pinned = batch.get(next);
            synchronized (pinned.entry()) {
                if (!pinned.entry().removed && pinned.entry().segment == segment) {
                    locked.add(pinned);
                }
                relocateLocked(segment, batch, next + 1, locked, reading);
            }
            return;
        }
        if (locked.isEmpty()) {
            return;
        }
        List<ByteBuffer[]> copies = new ArrayList<>(locked.size());
        List<JournalStore.Entry> moving = new ArrayList<>(locked.size());
        for (Pinned pinned : locked) {
            JournalStore.Entry entry = pinned.entry();
            JournalRecords.Message header;
            ByteBuffer body;
            try {
                body = journal.readChecked(entry.position(), entry.contentOffset + entry.contentLength);
                header = body == null ? null : JournalRecords.decodeMessage(body.duplicate(), reading);
            } catch (IOException e) {
                throw new StoreException("cannot read message " + pinned.id() + " to move it out of segment " + segment + ": "
                        + e.getMessage(), e);
            } catch (RuntimeException e) { // a record that checks but does not decode: as one that does not check
                header = null;
                body = null;
            }
            if (header == null || !header.id().equals(pinned.id())) {
                // The disk no longer holds what was written: a copy would give the damage a valid
                // checksum. The message stays where it is, and its segment (and those after it)
                // until it is finished; the next start's scan sets the record aside and counts it.
                if (damaged.add(pinned.id())) {
                    LOG.warning(() -> "Outbox journal " + directory + ": the record of message " + pinned.id() + " in segment "
                            + segment + " no longer matches its checksum (damaged on disk), so it is not moved; the segment"
                            + " stays until the message is finished, and a restart sets the record aside");
                }
                continue;
            }
            byte[] content = new byte[entry.contentLength];
            body.get(entry.contentOffset, content);
            copies.add(JournalRecords.message(entry.current(header), content));
            moving.add(entry);
        }
        if (moving.isEmpty()) {
            return;
        }
        List<Journal.Position> positions;
        try {
            positions = journal.appendAll(copies);
        } catch (StoreException e) {
            throw new StoreException("failed to move " + moving.size() + " messages out of segment " + segment + " of " + directory + ": " + e.getMessage(), e);
        }
        for (int i = 0; i < moving.size(); i++) {
            JournalStore.Entry entry = moving.get(i);
            Journal.Position position = positions.get(i);
            count(live, segment, -1);
            count(live, position.segment(), 1);
            count(written, position.segment(), 1);
            entry.moveTo(position);
            entry.contentOffset = copies.get(i)[0].remaining();
        }
    }

    /** Counts of one segment after another added to a map run by run; used by one thread (recovery's). */
    private static final class Tally {
        private final Map<Long, AtomicInteger> counts;
        private long segment = -1;
        private int run;

        Tally(Map<Long, AtomicInteger> counts) {
            this.counts = counts;
        }

        void add(long segment) {
            if (segment != this.segment) {
                flush();
                this.segment = segment;
            }
            run++;
        }

        void flush() {
            if (run > 0) {
                count(counts, segment, run);
                run = 0;
            }
        }
    }

    private static int value(Map<Long, AtomicInteger> counts, long segment) {
        AtomicInteger count = counts.get(segment);
        return count == null ? 0 : count.get();
    }
}
