package dev.outbox.store.journal;

import dev.outbox.store.StoreException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;

/**
 * Group commit: many callers' appends share one write and one sync.
 *
 * <p>Owns the queue of appends, the write turn and the {@link #SYNC_SLOTS} sync slots. Callers of
 * {@link #append} queue their records; whichever caller finds the write turn free becomes the
 * writer for everything queued so far (after a short commit window when the last batch had
 * company, {@link #gather}): it has the batch laid out and staged ({@link BatchWriter}), hands the
 * turn on, then writes the batch, syncs it through its slot and wakes its callers. The next
 * writer gathers the next batch while the last one is written and synced, so up to
 * {@link #SYNC_SLOTS} batches are under way: on a disk that serves two requests at once that is
 * nearly twice the batches. A sync covers everything written to the file before it, so batches
 * may finish in any order. An append completes only after the sync that covers it returned.
 *
 * <p>Waiting: while batches reach the disk within {@link #YIELD_WHILE_SYNC_BELOW_NANOS}, a caller
 * that may ({@link Journal.Wait#YIELD}: submitters) waiting for its record, or for the turn, yields
 * the processor instead of sleeping, for a
 * bounded time ({@link #yieldWhileSyncsAreShort}); otherwise it parks on its own record, and only
 * the writer of its batch wakes it. {@value #YIELD_PROPERTY}{@code =false} makes waiters always
 * sleep.
 *
 * <p>Failure: whatever a batch's staging, write or sync throws fails every append of that batch
 * (and only that batch), with the cause; the segment is then broken or forgotten, so the next
 * batch goes to a new segment. The turn and the slot are always handed on.
 *
 * <p>Threading: {@link #append} from any thread; the rest under the journal's monitor, which
 * {@link SegmentSet} shares. Interrupts: a caller's interrupt fails neither its append nor anyone
 * else's; it is kept, and set again when the append returns (the writer's I/O would otherwise
 * close the channels for everyone). Misuse: append after {@link #closeLocked} throws
 * {@link Journal.Unwritten}.
 */
final class GroupCommit {

    /** Batches under way at once; more than two gained nothing on the disks measured (see bench/). */
    static final int SYNC_SLOTS = 2;

    /**
     * The longest the writer waits for company before it writes (see {@link #gather}); 50 to
     * 100 us did a little better than 300 on the disk measured, 0 clearly worse.
     */
    static final long MAX_WINDOW_NANOS = 100_000;

    /**
     * Waiters yield the processor instead of sleeping while batches take at most this long from
     * their write to the end of their sync (on average), and for at most twice that: see
     * {@link #yieldWhileSyncsAreShort}. 400 us is where MySQL's redo log stops letting its
     * waiters spin ({@code innodb_log_wait_for_flush_spin_hwm}).
     */
    static final long YIELD_WHILE_SYNC_BELOW_NANOS = 400_000;

    /** The system property that makes waiters always sleep when set to {@code false}. */
    static final String YIELD_PROPERTY = "dev.outbox.journal.yieldWhileSyncing";

    private final Path directory;
    private final SegmentSet segments;
    private final BatchWriter writer;

    // Guarded by lock, the journal's monitor.
    private final Object lock;
    private List<Append> queued = new ArrayList<>();
    /** Someone holds the write turn: gathers, takes a sync slot, lays the batch out and stages it. */
    private boolean writing;
    private final boolean[] slotBusy = new boolean[SYNC_SLOTS];
    private int lastBatchSize;
    private Thread gatherer;
    private boolean closed;
    /**
     * Whether a caller may take the write turn now: nobody holds it, a sync slot is free and
     * records are queued. Kept under the lock, read without it by yielding waiters.
     */
    private volatile boolean turnOpen;
    /** How long batches took from their write to the end of their sync, a running average. */
    private volatile long recentSyncNanos;
    /** Whether waiters may yield instead of sleeping ({@link #YIELD_PROPERTY}), read at open. */
    private final boolean yieldWhileSyncing = !"false".equals(System.getProperty(YIELD_PROPERTY));

    GroupCommit(SegmentSet segments, BatchWriter writer, Object lock) {
        this.directory = segments.directory();
        this.segments = segments;
        this.writer = writer;
        this.lock = lock;
    }

    /**
     * Appends {@code records} (each given as its body's parts) in one batch, in order, and
     * returns where each went once all are on stable storage: one sync for all of them.
     * The caller checked each record's length; it waits yielding ({@link #yieldWhileSyncsAreShort})
     * only if {@code mayYield}, else it sleeps.
     *
     * @throws StoreException when writing or syncing failed; then none of the records may be relied on
     * @throws Journal.Unwritten when the journal was closed before the records were handed to the disk
     */
    List<Journal.Position> append(List<ByteBuffer[]> records, boolean mayYield) {
        List<Append> appends = new ArrayList<>(records.size());
        for (ByteBuffer[] parts : records) {
            appends.add(new Append(parts, Journal.checkedLength(parts), Thread.currentThread()));
        }
        Append last = appends.get(appends.size() - 1);
        // Waiting parks on the caller's own record: only the writers of a finished batch wake,
        // not everyone queued (a shared monitor's notifyAll costs a context switch each).
        // The interrupt flag stays clear meanwhile: an interrupt during channel I/O closes the
        // channel for every thread.
        boolean interrupted = Thread.interrupted();
        try {
            synchronized (lock) {
                if (closed) {
                    throw new Journal.Unwritten("journal " + directory + " is closed");
                }
                queued.addAll(appends); // together, so one writer takes them all in one batch
                updateTurnOpen();
                if (gatherer != null && queued.size() >= lastBatchSize) {
                    LockSupport.unpark(gatherer); // as many as last time: no need to wait longer
                }
            }
            while (true) {
                boolean myTurn = false;
                synchronized (lock) {
                    if (last.done) {
                        break;
                    }
                    if (closed && queued.remove(last)) { // not taken into a batch, and now never will be
                        queued.removeAll(appends);
                        throw new Journal.Unwritten("journal " + directory + " was closed before the record was written");
                    }
                    if (!closed && !writing && freeSlot() >= 0 && !queued.isEmpty()) {
                        writing = true;
                        turnOpen = false;
                        myTurn = true;
                    }
                }
                if (myTurn) {
                    interrupted |= Thread.interrupted(); // the writer's I/O would close the channels for everyone
                    interrupted |= takeTurn();
                    continue;
                }
                if (!(mayYield && yieldWhileSyncsAreShort(last))) {
                    LockSupport.park(this);
                    interrupted |= Thread.interrupted(); // the records are queued and will be written: finish first
                }
            }
            List<Journal.Position> positions = new ArrayList<>(appends.size());
            for (Append append : appends) {
                positions.add(append.result());
            }
            return positions;
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Yields the processor, rather than sleeping, until {@code last} is done or the write turn
     * is open, for at most twice the recent sync time, and only while syncs take less than
     * {@link #YIELD_WHILE_SYNC_BELOW_NANOS}. Why: on a fast disk a batch is on disk within a few
     * hundred microseconds, and waking a sleeping thread is then a large share of the wait. The
     * writer that finishes a batch wakes its sleeping callers one by one: on the 2-core virtual
     * machine measured, about 7 us each, 75 us for a batch of ten against 190 us for its write
     * and sync, while its sync slot stays taken. A yielding waiter sees its record done at once
     * (16 submitters: +35% submits a second, 25 instead of 21 us of CPU each, see bench/).
     * Yielding gives the processor to any other thread that wants it, so mostly idle time is
     * spent. On a slow disk the wake-up is a small share of the wait, and waiters sleep at once.
     *
     * @return true when the record is done or the turn open (the caller looks again), false
     *         when the caller should sleep
     */
    private boolean yieldWhileSyncsAreShort(Append last) {
        long sync = recentSyncNanos;
        if (!yieldWhileSyncing || sync > YIELD_WHILE_SYNC_BELOW_NANOS) {
            return false;
        }
        long deadline = System.nanoTime() + 2 * sync;
        while (!last.done && !turnOpen) {
            if (System.nanoTime() - deadline >= 0) {
                return false;
            }
            Thread.yield();
        }
        return true;
    }

    /** Sets {@link #turnOpen} from the state. Called under the lock after each change to it. */
    private void updateTurnOpen() {
        turnOpen = !writing && freeSlot() >= 0 && !queued.isEmpty();
    }

    /** Whether a batch is being synced. Called under the lock. */
    private boolean syncing() {
        for (boolean busy : slotBusy) {
            if (busy) {
                return true;
            }
        }
        return false;
    }

    /** A sync slot nobody holds, or -1. Called under the lock. */
    private int freeSlot() {
        for (int slot = 0; slot < SYNC_SLOTS; slot++) {
            if (!slotBusy[slot]) {
                return slot;
            }
        }
        return -1;
    }

    /**
     * The writer's turn, which its caller took with a sync slot free: gathers what is queued
     * (its own records among it), writes it into the segment, hands the turn to the first
     * caller still queued, then syncs the batch through its slot and wakes its callers. A
     * writer that rolled to a new segment then prepares the next spare.
     *
     * @return whether the caller was interrupted meanwhile
     */
    private boolean takeTurn() {
        boolean interrupted = gather();
        List<Append> batch;
        int slot;
        synchronized (lock) {
            batch = queued;
            queued = new ArrayList<>();
            lastBatchSize = batch.size();
            slot = freeSlot();
            slotBusy[slot] = true; // only the holder of the turn takes slots: one was free when it took the turn
            updateTurnOpen();
        }
        Segment segment = null;
        Segment before = segments.current();
        BatchWriter.Write write = null;
        IOException failure = null;
        try {
            write = writer.stage(batch, slot);
            segment = segments.current();
        } catch (IOException | RuntimeException | Error e) { // whatever it is, the batch fails and the turn goes on
            failure = asIoException(e);
            segments.forgetCurrent(); // the next writer starts a fresh segment after a partial write
        }
        boolean rolled = segments.current() != before;
        interrupted |= writer.takeInterrupted();
        synchronized (lock) {
            writing = false;
            updateTurnOpen();
            if (segment != null) {
                segment.syncing++;
            }
            if (!queued.isEmpty() && freeSlot() >= 0) {
                LockSupport.unpark(queued.get(0).caller);
            }
        }
        if (segment != null) {
            long started = System.nanoTime();
            try {
                interrupted |= write.run();
                interrupted |= segment.sync(slot);
            } catch (IOException | RuntimeException | Error e) { // whatever it is, the batch fails and the slot is freed
                failure = asIoException(e);
                segment.broken = true; // what it holds after the failure is unknown: the next writer rolls
            }
            long took = System.nanoTime() - started;
            long average = recentSyncNanos;
            recentSyncNanos = average == 0 ? took : average + (took - average) / 8; // not atomic: an estimate
        }
        for (Append done : batch) {
            done.complete(failure);
        }
        synchronized (lock) {
            slotBusy[slot] = false;
            updateTurnOpen();
            if (segment != null) {
                segment.syncing--;
            }
            if (!writing && !queued.isEmpty()) {
                LockSupport.unpark(queued.get(0).caller);
            }
            lock.notifyAll(); // for close() and delete(), which wait for syncs to end
        }
        if (rolled) {
            interrupted |= segments.prepareSpare();
        }
        return interrupted;
    }

    /**
     * The commit window. The writers released by the last sync submit again a few microseconds
     * after it; without a pause the new writer would take only those who queued during the
     * sync, and the batches would stay small. So when the last batch had company, the writer
     * waits a moment (a third of the recent sync time, at most {@link #MAX_WINDOW_NANOS}) or until
     * as many records as last time are queued. A lone submitter never waits.
     *
     * @return whether the writer was interrupted meanwhile; its interrupt status is clear
     */
    private boolean gather() {
        long window;
        synchronized (lock) {
            if (lastBatchSize <= 1 || queued.size() >= lastBatchSize) {
                return false;
            }
            window = Math.min(MAX_WINDOW_NANOS, recentSyncNanos / 3);
            gatherer = Thread.currentThread();
        }
        boolean interrupted = false;
        long deadline = System.nanoTime() + window;
        for (long left = window; left > 0; left = deadline - System.nanoTime()) {
            LockSupport.parkNanos(this, left);
            if (Thread.interrupted()) {
                interrupted = true; // parkNanos would not wait again with the flag set
            }
            synchronized (lock) {
                if (queued.size() >= lastBatchSize) {
                    break;
                }
            }
        }
        synchronized (lock) {
            gatherer = null;
        }
        return interrupted;
    }

    private static IOException asIoException(Throwable failure) {
        return failure instanceof IOException e ? e : new IOException("unexpected failure: " + failure, failure);
    }

    /** Appends are refused from now on, and those queued but not taken fail; waiters look again. Called under the lock. */
    void closeLocked() {
        closed = true;
        turnOpen = true; // yielding waiters look again, and find the journal closed
        for (Append waiting : queued) {
            LockSupport.unpark(waiting.caller);
        }
    }

    /** Whether a batch is being gathered, written or synced. Called under the lock. */
    boolean busy() {
        return writing || syncing();
    }

    /** One caller's record on its way to disk. */
    static final class Append {
        final ByteBuffer[] parts;
        final int length;
        /** Computed by the caller, so the writer, which holds everyone up, does not. */
        final int checksum;
        final Thread caller;
        /** Set by the writer when it lays the record out. */
        Journal.Position position;
        IOException failure;
        volatile boolean done;

        Append(ByteBuffer[] parts, int length, Thread caller) {
            this.parts = parts;
            this.length = length;
            this.checksum = RecordFormat.checksum(length, parts);
            this.caller = caller;
        }

        /** Publishes the outcome (done is written last) and wakes the caller. */
        void complete(IOException failure) {
            this.failure = failure;
            this.done = true;
            LockSupport.unpark(caller);
        }

        Journal.Position result() {
            if (failure != null) {
                throw new StoreException("journal write failed: " + failure.getMessage(), failure);
            }
            return position;
        }
    }
}
