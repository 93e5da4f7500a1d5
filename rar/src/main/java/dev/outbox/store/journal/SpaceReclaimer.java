package dev.outbox.store.journal;

import dev.outbox.store.MessageStore;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
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
 * <p>The store keeps no index: the messages of a segment to be emptied are found among the
 * entries its caller holds ({@link #liveEntries}); one missed (a notice not yet let out, say) stays
 * where it is, and so does its segment, which costs only space.
 *
 * <p>Operations, all for {@link JournalStore}: {@link #written} and {@link #live} count what
 * recovery found, and {@link #recovered} adds those counts up once it is done; an add calls {@link #beginAdd}, appends, calls {@link #added}, then
 * {@link #endAdd} (in a finally); a removal calls {@link #removed} after its record is durable,
 * then {@link #reclaimOrLog}; {@link #close} before the journal closes. Threading: any thread;
 * one deletion at a time, beside adds, which waits for adds between their append and their count
 * (without that a segment could be deleted, as neither current nor live, between the two). Moves
 * run on a thread of their own, one at a time: a move locks many messages' entries, and the
 * caller of a removal may hold its own message's monitor, so a move run by that caller could wait
 * for a thread that waits for it. Failure: a failed move or deletion costs only space; it is
 * logged and a later removal tries again, and every message stays where its entry says.
 */
final class SpaceReclaimer {

    private static final Logger LOG = Logger.getLogger(JournalStore.class.getName());

    /** How many messages one sync carries when they are moved. */
    private static final int RELOCATION_BATCH = 256;

    private final Journal journal;
    private volatile MessageStore.LiveEntries entries = action -> { };
    private final Path directory;
    /** Each segment's one {@link Place}, what its messages' entries point to. */
    private final Map<Long, Place> places = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> live = new ConcurrentHashMap<>();
    private final Map<Long, AtomicInteger> written = new ConcurrentHashMap<>();
    /** Recovery's counts, one map update per run of messages in one segment, not one per message. */
    private final Tally recoveredWritten = new Tally(written);
    private final Tally recoveredLive = new Tally(live);
    private final Object reclaiming = new Object();
    /** Runs the moves; made at the first. */
    private ExecutorService mover;
    private boolean closed;
    /**
     * Held shared by an add from its append until its message counts as live in its segment, and
     * exclusively by the deletion of segments.
     */
    private final ReentrantReadWriteLock adding = new ReentrantReadWriteLock();
    /** The segment being written when the oldest was last looked at for a move. */
    private volatile long lastSegmentConsidered = -1;
    /** Messages whose record was found damaged when they were to be moved: each is reported once. */
    private final Set<String> damaged = ConcurrentHashMap.newKeySet();

    SpaceReclaimer(Journal journal, Path directory) {
        this.journal = journal;
        this.directory = directory;
    }

    /** A segment as its messages' entries name it: one object a segment, so an entry holds a reference, not a long. */
    private record Place(long segment) {
    }

    /** Sets where {@code entry}'s message is: {@code position}, with its content {@code contentOffset} bytes into the record. */
    void placeAt(StoreEntry entry, Journal.Position position, int contentOffset) {
        entry.placeAt(places.computeIfAbsent(position.segment(), Place::new), Math.toIntExact(position.offset()), contentOffset);
    }

    /** The segment of the record of {@code entry}'s message, which is not removed. */
    static long segment(StoreEntry entry) {
        return ((Place) entry.place()).segment();
    }

    /** Where the live messages' entries are found when a segment is to be emptied. */
    void liveEntries(MessageStore.LiveEntries entries) {
        this.entries = entries;
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

    /**
     * Deletes dead segments from the oldest on, and has the oldest emptied by the mover when it is
     * mostly dead; a failure is logged: it costs only space, and a later removal tries again.
     */
    void reclaimOrLog() {
        try {
            deleteDead();
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "Outbox journal " + directory + ": could not reclaim space; a later removal tries again", e);
        }
        moveIfMostlyDead();
    }

    /**
     * Deletes dead segments from the oldest on. Excludes adds, briefly, so that no segment goes
     * while an add that wrote to it has yet to count itself live there.
     */
    private void deleteDead() {
        if (journal.segmentCount() < 2) {
            return; // only the segment being written: nothing to reclaim, and no lock to take
        }
        synchronized (reclaiming) {
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

    /**
     * Has the mover empty the oldest segment when at most half of its messages are live; looked at
     * once per new segment at most, since a move walks every live entry. The look is the caller's
     * (a few counts), the move the mover's.
     */
    private void moveIfMostlyDead() {
        long current = journal.currentSegment();
        if (lastSegmentConsidered == current || journal.segmentCount() < 3) {
            return;
        }
        long oldest = journal.oldestSegment();
        int liveCount = value(live, oldest);
        if (oldest == current || liveCount == 0 || liveCount * 2L > value(written, oldest)) {
            return;
        }
        synchronized (this) {
            if (closed || lastSegmentConsidered == current) {
                return;
            }
            lastSegmentConsidered = current;
            if (mover == null) {
                mover = Executors.newSingleThreadExecutor(task -> {
                    Thread thread = new Thread(task, "Outbox journal mover " + directory.getFileName());
                    thread.setDaemon(true);
                    // Made by whichever thread's removal comes first (an application's, say): it must not keep that one's loader.
                    thread.setContextClassLoader(null);
                    return thread;
                });
            }
            mover.execute(() -> {
                try {
                    relocate(oldest);
                    deleteDead();
                } catch (RuntimeException e) { // StoreException among them
                    LOG.log(Level.WARNING, "Outbox journal " + directory + ": could not move messages out of segment " + oldest
                            + "; a later removal tries again", e);
                    lastSegmentConsidered = -1;
                }
            });
        }
    }

    /** Waits until the moves queued so far are done (for tests). */
    void awaitMoves() throws InterruptedException {
        ExecutorService running;
        synchronized (this) {
            running = mover;
        }
        if (running != null) {
            try {
                running.submit(() -> { }).get(1, TimeUnit.MINUTES);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("the journal's mover did not come round in a minute", e);
            }
        }
    }

    /** Stops the mover, after the move under way (it writes to the journal, which closes next). */
    void close() {
        ExecutorService running;
        synchronized (this) {
            closed = true;
            running = mover;
        }
        if (running != null) {
            running.shutdown();
            try {
                if (!running.awaitTermination(1, TimeUnit.MINUTES)) {
                    LOG.warning(() -> "Outbox journal " + directory + ": a move out of an old segment did not end in a minute");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
            places.remove(segment);
        }
    }

    private void relocate(long segment) {
        Place place = places.get(segment);
        if (place == null) {
            return; // no message was ever placed there (only recovery's entries, all gone)
        }
        List<StoreEntry> pinned = new ArrayList<>();
        entries.forEach(entry -> {
            if (entry.place() == place) { // read without its lock: checked again under it
                pinned.add(entry);
            }
        });
        JournalRecords.Reading reading = new JournalRecords.Reading();
        for (int from = 0; from < pinned.size(); from += RELOCATION_BATCH) {
            relocateLocked(place, pinned.subList(from, Math.min(pinned.size(), from + RELOCATION_BATCH)), 0, new ArrayList<>(),
                    reading);
        }
        LOG.fine(() -> "Outbox journal: moved " + pinned.size() + " live messages out of segment " + segment);
    }

    /**
     * Takes the monitors of {@code batch} one inside the other, in the order its caller holds
     * them, then writes the copies of those still in {@code segment} with one sync. Each message
     * stays locked from reading its state to its copy being durable, so no update can fall between
     * the two and be overwritten at replay. This runs on the mover's thread alone, which waits for
     * nothing else while it holds them; other threads lock one message at a time (or a notice
     * within its original, which comes before it in the caller's order), so this cannot deadlock.
     * A copy is the message's record read back whole (the entry keeps no envelope) with the
     * statuses and mark its entry has now.
     */
    private void relocateLocked(Place place, List<StoreEntry> batch, int next, List<StoreEntry> locked, JournalRecords.Reading reading) {
        long segment = place.segment();
        if (next < batch.size()) {
            StoreEntry entry = batch.get(next);
            synchronized (entry) {
                if (entry.place() == place) { // not removed, nor moved meanwhile
                    locked.add(entry);
                }
                relocateLocked(place, batch, next + 1, locked, reading);
            }
            return;
        }
        if (locked.isEmpty()) {
            return;
        }
        List<ByteBuffer[]> copies = new ArrayList<>(locked.size());
        List<StoreEntry> moving = new ArrayList<>(locked.size());
        for (StoreEntry entry : locked) {
            JournalRecords.Message header;
            ByteBuffer body;
            try {
                body = journal.readChecked(JournalStore.position(entry), entry.contentOffset() + entry.contentLength());
                header = body == null ? null : JournalRecords.decodeMessage(body.duplicate(), reading);
            } catch (IOException e) {
                throw new StoreException("cannot read message " + entry.id() + " to move it out of segment " + segment + ": "
                        + e.getMessage(), e);
            } catch (RuntimeException e) { // a record that checks but does not decode: as one that does not check
                header = null;
                body = null;
            }
            if (header == null || !header.id().equals(entry.id())) {
                // The disk no longer holds what was written: a copy would give the damage a valid
                // checksum. The message stays where it is, and its segment (and those after it)
                // until it is finished; the next start's scan sets the record aside and counts it.
                if (damaged.add(entry.id())) {
                    LOG.warning(() -> "Outbox journal " + directory + ": the record of message " + entry.id() + " in segment "
                            + segment + " no longer matches its checksum (damaged on disk), so it is not moved; the segment"
                            + " stays until the message is finished, and a restart sets the record aside");
                }
                continue;
            }
            byte[] content = new byte[entry.contentLength()];
            body.get(entry.contentOffset(), content);
            copies.add(JournalRecords.message(JournalStore.current(entry, header), content));
            moving.add(entry);
        }
        if (moving.isEmpty()) {
            return;
        }
        beginAdd(); // as an add: the segments written to are not deleted before the copies count there
        try {
            List<Journal.Position> positions;
            try {
                positions = journal.appendAll(copies);
            } catch (StoreException e) {
                throw new StoreException("failed to move " + moving.size() + " messages out of segment " + segment + " of " + directory + ": " + e.getMessage(), e);
            }
            for (int i = 0; i < moving.size(); i++) {
                StoreEntry entry = moving.get(i);
                Journal.Position position = positions.get(i);
                count(live, position.segment(), 1);
                count(written, position.segment(), 1);
                count(live, segment, -1);
                placeAt(entry, position, copies.get(i)[0].remaining());
            }
        } finally {
            endAdd();
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
