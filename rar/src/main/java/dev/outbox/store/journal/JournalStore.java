package dev.outbox.store.journal;

import dev.outbox.api.QueueFullException;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The embedded store: messages, content included, in a {@link Journal} under the server's data
 * directory. What it needs of each message in memory (where its record is, its recipients'
 * statuses as last recorded, its delay-notice mark) is in the message's {@link StoreEntry}, which
 * the caller holds: the store keeps no index of its own, so a queued message costs the heap only
 * the engine's object for it.
 *
 * <p>Space: a segment is deleted once no live message is in it, and the last few live messages
 * of a mostly dead old segment are written again at the end so that it can go
 * ({@link SpaceReclaimer}).
 *
 * <p>Threading: every method is safe from any thread. Changes to one message are serialized
 * on its entry's monitor, so the journal's order is the order of its changes; a caller may hold
 * that monitor around a call, and a message's entry is locked with no other message's held, except
 * by the move of messages out of an old segment, which runs on a thread of its own ({@link SpaceReclaimer}).
 */
public final class JournalStore implements MessageStore {

    private static final Logger LOG = Logger.getLogger(JournalStore.class.getName());

    /** Less than any queued message takes of the heap in recovery's index and the engine's message. */
    private static final long LEAST_HEAP_PER_MESSAGE = 200;

    /** Space kept free on the disk, so the journal never fills it to the last byte. */
    static final long DISK_RESERVE_BYTES = 64L * 1024 * 1024;

    private final Path directory;
    private final Journal journal;
    private final long maxBytes;
    /** Messages stored and not removed. */
    private final AtomicInteger live = new AtomicInteger();
    /** How many messages the journal seemed to hold when the store was made: what recovery sizes its tables by. */
    private final int expectedMessages;
    private final SpaceReclaimer reclaimer;
    private final JournalFiles files;
    /** The last free-space answer and the journal size it was had at; replaced whole. */
    private volatile long[] usable;
    private volatile long undecodable;
    private final FrozenDestinationsFile frozen;

    /**
     * @param directory      where the segment files go; created if missing
     * @param segmentBytes   size at which a new segment is started
     * @param maxBytes       size of the store at which submits are refused
     * @param maxRecordBytes the largest record, so that a corrupt length is recognized
     */
    public JournalStore(Path directory, long segmentBytes, long maxBytes, int maxRecordBytes) {
        this(directory, segmentBytes, maxBytes, maxRecordBytes, JournalFiles.NIO);
    }

    /** A store whose files are reached through {@code files}: tests pass one with faults. */
    JournalStore(Path directory, long segmentBytes, long maxBytes, int maxRecordBytes, JournalFiles files) {
        this.directory = directory;
        this.files = files;
        this.journal = new Journal(directory, segmentBytes, maxRecordBytes, files);
        this.maxBytes = maxBytes;
        this.frozen = new FrozenDestinationsFile(directory);
        this.expectedMessages = expectedMessages(journal);
        this.reclaimer = new SpaceReclaimer(journal, directory);
    }

    /**
     * About how many messages the journal holds ({@link Journal#expectedRecords}), to size the
     * index by before recovery fills it, instead of rehashing it at each doubling; at most what
     * the heap could hold at {@value #LEAST_HEAP_PER_MESSAGE} bytes a message, so that a guess far
     * off wastes little.
     */
    private static int expectedMessages(Journal journal) {
        long expected = journal.expectedRecords(body -> JournalRecords.type(body) == JournalRecords.MESSAGE);
        return (int) Math.max(16, Math.min(expected, Runtime.getRuntime().maxMemory() / LEAST_HEAP_PER_MESSAGE));
    }

    /** The statuses of a message of one recipient still queued and never tried: shared, a backlog is mostly these. */
    private static final RecipientStatus[] ONE_QUEUED = {RecipientStatus.QUEUED};

    /** {@code statuses}, or the shared {@link #ONE_QUEUED} when that is what they are. */
    private static RecipientStatus[] recordable(RecipientStatus[] statuses) {
        return statuses.length == 1 && statuses[0] == RecipientStatus.QUEUED ? ONE_QUEUED : statuses;
    }

    /** {@code statuses} as an array the entry may keep: the shared {@link #ONE_QUEUED}, made without a copy, for a fresh message of one recipient. */
    private static RecipientStatus[] recordable(List<RecipientStatus> statuses) {
        return statuses.size() == 1 && statuses.get(0) == RecipientStatus.QUEUED ? ONE_QUEUED : statuses.toArray(RecipientStatus[]::new);
    }

    /** Sets recipient {@code recipient}'s recorded status in {@code entry}; a change for a recipient the message does not have is ignored. */
    private static void apply(StoreEntry entry, RecipientChange change) {
        RecipientStatus[] statuses = entry.recorded();
        if (change.recipient() >= 0 && change.recipient() < statuses.length) {
            if (statuses == ONE_QUEUED) { // replaced, never written into
                statuses = ONE_QUEUED.clone();
                entry.recorded(statuses);
            }
            statuses[change.recipient()] = change.status();
        }
    }

    /** The message of {@code entry} as its last record on disk, {@code header}, says, with the statuses and mark recorded since. */
    static StoredMessage current(StoreEntry entry, JournalRecords.Message header) {
        return new StoredMessage(header.id(), header.submitMillis(), header.expiryMillis(), header.envelope(),
                List.of(entry.recorded()), entry.delayNoticeRecorded());
    }

    /** Sets what the store keeps of a message in {@code entry}: its statuses and mark as recorded, where its record is, its content's length. */
    private void fill(StoreEntry entry, RecipientStatus[] statuses, boolean delayNoticeSent, Journal.Position position,
                      int contentOffset, int contentLength) {
        entry.recorded(statuses);
        entry.delayNoticeRecorded(delayNoticeSent); // before placeAt, which keeps the mark
        placeAt(entry, position, contentOffset);
        entry.contentLength(contentLength);
    }

    private void placeAt(StoreEntry entry, Journal.Position position, int contentOffset) {
        reclaimer.placeAt(entry, position, contentOffset);
    }

    /** Where the record of the message of {@code entry}, which is not removed, is. */
    static Journal.Position position(StoreEntry entry) {
        return new Journal.Position(SpaceReclaimer.segment(entry), entry.offset());
    }

    @Override
    public void liveEntries(LiveEntries entries) {
        reclaimer.liveEntries(entries);
    }

    /**
     * A message as recovery found it, until it is handed on: its entry and what of its record the
     * hand-over needs, in one object and lean (the recipients' bytes, not an envelope): recovery
     * holds one for every message until the scan is done, and a restart must fit in the heap
     * that the queue it restores fits in.
     */
    private static final class Recovered extends StoreEntry {
        private final String id;
        private final long submitMillis;
        private final long expiryMillis;
        private final String reversePath;
        private final Object recipients;

        Recovered(JournalRecords.Message record) {
            this.id = record.id();
            this.submitMillis = record.submitMillis();
            this.expiryMillis = record.expiryMillis();
            this.reversePath = record.reversePath();
            this.recipients = record.recipients();
        }

        @Override
        public String id() {
            return id;
        }

        /** The message with the statuses and mark recorded for it by the end of the scan. */
        StoredMessage message() {
            return new StoredMessage(id, submitMillis, expiryMillis, JournalRecords.envelope(reversePath, recipients),
                    List.of(recorded()), delayNoticeRecorded());
        }
    }

    @Override
    public void recover(RecoverySink sink) {
        // Replay into an index of this recovery's own, dropped when it is done (the caller keeps
        // the entries); the order of first appearance is kept in a plain list (where a linked map
        // would cost a second index at the peak).
        Map<String, Recovered> index = new HashMap<>(Math.max(16, (int) Math.min(Integer.MAX_VALUE / 2, expectedMessages * 4L / 3 + 1)));
        List<Recovered> order = new ArrayList<>(expectedMessages);
        JournalRecords.Reading reading = new JournalRecords.Reading();
        long[] undecodable = {0}; // sound checksum, unreadable body: counted with the corrupt ones
        journal.scan((position, body) -> {
            try {
                switch (JournalRecords.type(body)) {
                    case JournalRecords.MESSAGE -> {
                        JournalRecords.Message record = JournalRecords.decodeMessage(body, reading);
                        Recovered entry = new Recovered(record);
                        fill(entry, recordable(record.statuses()), record.delayNoticeSent(), position, record.contentOffset(),
                                record.contentLength());
                        Recovered moved = index.put(record.id(), entry);
                        if (moved != null) {
                            moved.removed(); // the copy written when it was moved out of an old segment wins
                        }
                        order.add(entry);
                        reclaimer.written(position.segment());
                    }
                    case JournalRecords.UPDATE -> {
                        JournalRecords.Update update = JournalRecords.decodeUpdate(body, reading);
                        StoreEntry entry = index.get(update.id());
                        if (entry != null) {
                            apply(entry, update.changes(), update.delayNoticeSent());
                        }
                    }
                    case JournalRecords.REMOVE -> {
                        StoreEntry entry = index.remove(JournalRecords.decodeRemove(body, reading));
                        if (entry != null) {
                            entry.removed();
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown record type " + JournalRecords.type(body));
                }
            } catch (RuntimeException e) {
                undecodable[0]++;
                reclaimer.pin(position.segment()); // perhaps a later version's: its segment is never reclaimed
                LOG.warning(() -> "Outbox journal: record at " + position + " in " + directory + " does not decode and is skipped: " + e);
            }
        });
        this.undecodable = undecodable[0];
        index.clear(); // from here on the caller's entries are the only index
        // Every live message counts in its segment before the first is handed on: the sink may
        // remove one, and the reclamation that follows must see the other messages live.
        int recovered = 0;
        for (StoreEntry entry : order) {
            if (!entry.isRemoved()) {
                reclaimer.live(SpaceReclaimer.segment(entry));
                recovered++;
            }
        }
        live.addAndGet(recovered);
        reclaimer.recovered();
        for (int i = 0; i < order.size(); i++) {
            Recovered entry = order.get(i);
            order.set(i, null); // let the list go as it is read: the caller's objects take the entries' place
            if (!entry.isRemoved()) {
                sink.accept(entry.message(), entry);
            }
        }
        reclaimer.reclaimOrLog();
        long setAside = corruptRecords();
        LOG.info(() -> "Outbox journal " + directory + ": recovered " + live.get() + " messages from "
                + journal.segmentCount() + " segments (" + journal.sizeBytes() + " bytes)"
                + (setAside > 0 ? "; " + setAside + " records set aside" : ""));
    }

    @Override
    public StoreEntry add(StoredMessage message, byte[] content) throws QueueFullException {
        return add(message, content, true);
    }

    /** As {@link #add}, past {@code maxBytes}: a notice is refused only when the disk has no room. */
    @Override
    public StoreEntry addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        return add(message, content, false);
    }

    private StoreEntry add(StoredMessage message, byte[] content, boolean withinLimit) throws QueueFullException {
        ByteBuffer[] record = JournalRecords.message(message, content);
        int head = record[0].remaining(); // where the content starts
        checkRoom(message.id(), Journal.SEGMENT_HEADER + Journal.RECORD_HEADER + head + content.length, withinLimit);
        reclaimer.beginAdd();
        try {
            Journal.Position position;
            try {
                position = append(message.id(), "add", Journal.Wait.YIELD, record);
            } catch (StoreException e) {
                // Withdrawn first: a full disk is no reason to let it come back.
                StoreException failure = e.getCause() instanceof Journal.Unwritten ? e : withdraw(message.id(), e);
                if (failure == e) { // withdrawn, so nothing of it is kept, as QueueFullException says
                    refuseIfDiskFull(message.id(), e); // another writer may have filled the disk since the last check
                }
                throw failure;
            }
            StoreEntry entry = new StoreEntry.Own(message.id());
            fill(entry, recordable(message.statuses()), message.delayNoticeSent(), position, head, content.length);
            live.incrementAndGet();
            reclaimer.added(position.segment());
            return entry;
        } finally {
            reclaimer.endAdd();
        }
    }

    @Override
    public void update(StoreEntry entry, List<RecipientChange> changes, boolean delayNoticeSent) {
        if (changes.isEmpty() && !delayNoticeSent) {
            return;
        }
        synchronized (entry) { // the journal's order is the order of one message's changes
            if (entry.isRemoved()) {
                return;
            }
            String id = entry.id(); // made once: the queue's message makes its id's text when asked
            append(id, "update", Journal.Wait.SLEEP, JournalRecords.update(id, changes, delayNoticeSent));
            apply(entry, changes, delayNoticeSent);
        }
    }

    @Override
    public void remove(StoreEntry entry) {
        synchronized (entry) {
            if (entry.isRemoved()) {
                return;
            }
            String id = entry.id(); // made once: the queue's message makes its id's text when asked
            append(id, "remove", Journal.Wait.SLEEP, JournalRecords.remove(id));
            long segment = SpaceReclaimer.segment(entry);
            entry.removed();
            live.decrementAndGet();
            reclaimer.removed(segment);
        }
        reclaimer.reclaimOrLog(); // the removal is durable: a failure to reclaim costs only space
    }

    @Override
    public byte[] content(StoreEntry entry) {
        synchronized (entry) { // where it is does not change meanwhile: a move waits for the read
            if (entry.isRemoved()) {
                throw new StoreException("message " + entry.id() + " is not in the store " + directory);
            }
            try {
                return journal.read(position(entry), entry.contentOffset(), entry.contentLength());
            } catch (IOException e) {
                throw new StoreException("cannot read message " + entry.id() + " from journal segment " + SpaceReclaimer.segment(entry) + " of "
                        + directory + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public int messageCount() {
        return live.get();
    }

    @Override
    public long sizeBytes() {
        return journal.sizeBytes();
    }

    @Override
    public long corruptRecords() {
        return journal.corruptRecords() + undecodable;
    }

    @Override
    public Set<String> frozenDestinations() {
        return frozen.read();
    }

    @Override
    public void saveFrozenDestinations(Set<String> destinations) {
        frozen.write(destinations);
    }

    /** Waits until the moves out of old segments queued so far are done: for tests. */
    void awaitMoves() throws InterruptedException {
        reclaimer.awaitMoves();
    }

    @Override
    public void close() {
        reclaimer.close(); // a move under way ends first: it writes to the journal
        journal.close();
    }

    private void checkRoom(String id, int recordBytes, boolean withinLimit) throws QueueFullException {
        long size = journal.sizeBytes();
        if (withinLimit && size + recordBytes > maxBytes) {
            throw new QueueFullException("message " + id + " not queued: the store holds " + size + " bytes and may hold "
                    + maxBytes + " (outbox.max-store-bytes); it has room again as queued mail is delivered");
        }
        long usable = usableSpace(size);
        if (usable < recordBytes + DISK_RESERVE_BYTES) {
            throw new QueueFullException("message " + id + " not queued: the disk of " + directory + " has " + usable
                    + " bytes free, and Outbox keeps " + DISK_RESERVE_BYTES + " in reserve");
        }
    }

    /**
     * After a failed add: its record may be on disk all the same (a batch fails when its sync
     * does, though its blocks may have been written, and a later batch's sync may carry them), and
     * it would come back at the next start although its caller was told it failed, and perhaps
     * submitted it again. A removal record written after it makes sure it does not. Only if that
     * fails too is the caller told that the message may come back.
     */
    private StoreException withdraw(String id, StoreException failure) {
        try {
            journal.append(JournalRecords.remove(id));
            return failure;
        } catch (StoreException again) {
            StoreException both = new StoreException(failure.getMessage() + "; withdrawing it failed too, so it may be recovered"
                    + " and delivered after a restart", failure);
            both.addSuppressed(again);
            return both;
        }
    }

    private void refuseIfDiskFull(String id, StoreException failure) throws QueueFullException {
        try {
            long free = files.usableSpace(directory);
            usable = null; // ask again next time
            if (free < DISK_RESERVE_BYTES) {
                throw new QueueFullException("message " + id + " not queued: the disk of " + directory + " is full (" + free
                        + " bytes free; Outbox keeps " + DISK_RESERVE_BYTES + " in reserve): " + failure.getMessage());
            }
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * The disk's free space, asked of the file system again only after the journal has grown or
     * shrunk by a sixteenth of the reserve since the last answer (asking costs a system call per
     * submit otherwise); in between, the last answer less what the journal has grown.
     */
    private long usableSpace(long journalSize) {
        long[] known = usable;
        if (known == null || Math.abs(journalSize - known[1]) > DISK_RESERVE_BYTES / 16) {
            try {
                known = new long[]{files.usableSpace(directory), journalSize};
            } catch (IOException e) {
                throw new StoreException("cannot tell the free space of " + directory + ": " + e.getMessage(), e);
            }
            usable = known;
        }
        return known[0] - (journalSize - known[1]);
    }

    private Journal.Position append(String id, String what, Journal.Wait wait, ByteBuffer... parts) {
        try {
            return journal.append(wait, parts);
        } catch (StoreException e) {
            throw new StoreException("failed to " + what + " message " + id + " in journal " + directory + ": " + e.getMessage(), e);
        }
    }

    private static void apply(StoreEntry entry, List<RecipientChange> changes, boolean delayNoticeSent) {
        entry.delayNoticeRecorded(entry.delayNoticeRecorded() | delayNoticeSent);
        for (RecipientChange change : changes) {
            apply(entry, change);
        }
    }

}
