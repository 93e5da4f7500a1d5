package dev.outbox.store.journal;

import dev.outbox.api.QueueFullException;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The embedded store: messages, content included, in a {@link Journal} under the server's data
 * directory, with an index in memory that holds each message's envelope, recipient statuses, its
 * delay-notice mark and where its record is, never its content.
 *
 * <p>Space: a segment is deleted once no live message is in it, and the last few live messages
 * of a mostly dead old segment are written again at the end so that it can go
 * ({@link SpaceReclaimer}).
 *
 * <p>Threading: every method is safe from any thread. Changes to one message are serialized
 * on its index entry, so the journal's order is the order of its changes.
 */
public final class JournalStore implements MessageStore {

    private static final Logger LOG = Logger.getLogger(JournalStore.class.getName());

    /** Less than any queued message takes of the heap, with its index entry and the engine's message. */
    private static final long LEAST_HEAP_PER_MESSAGE = 200;

    /** Space kept free on the disk, so the journal never fills it to the last byte. */
    static final long DISK_RESERVE_BYTES = 64L * 1024 * 1024;

    private final Path directory;
    private final Journal journal;
    private final long maxBytes;
    private final Map<String, Entry> index;
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
        this.index = new ConcurrentHashMap<>(expectedMessages);
        this.reclaimer = new SpaceReclaimer(journal, index, directory);
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

    /**
     * One live message: where its record is, its recipients' statuses and its delay-notice mark,
     * nothing more, one of these per queued message. The rest of it (id, times, envelope) is in
     * its record on disk, which is where relocation reads it from; the engine holds its own copy.
     * Its fields change under its monitor only (or on recovery's one thread, before anyone else
     * sees it).
     */
    static final class Entry {
        /** The statuses of a message of one recipient still queued and never tried: shared, a backlog is mostly these. */
        private static final RecipientStatus[] ONE_QUEUED = {RecipientStatus.QUEUED};

        /** Replaced, never written into, while it is {@link #ONE_QUEUED}. */
        private RecipientStatus[] statuses;
        long segment;       // where the record is: a Position inlined, 24 bytes less a message
        int recordOffset;
        int contentOffset;
        int contentLength;
        boolean removed;
        boolean delayNoticeSent;

        Entry(StoredMessage message, Journal.Position position, int contentOffset, int contentLength) {
            this(message.statuses().toArray(RecipientStatus[]::new), message.delayNoticeSent(), position, contentOffset, contentLength);
        }

        /** A recovered message's entry: it keeps the decoded record's statuses array. */
        Entry(JournalRecords.Message record, Journal.Position position) {
            this(record.statuses(), record.delayNoticeSent(), position, record.contentOffset(), record.contentLength());
        }

        private Entry(RecipientStatus[] statuses, boolean delayNoticeSent, Journal.Position position, int contentOffset,
                      int contentLength) {
            this.statuses = statuses.length == 1 && statuses[0] == RecipientStatus.QUEUED ? ONE_QUEUED : statuses;
            this.delayNoticeSent = delayNoticeSent;
            moveTo(position);
            this.contentOffset = contentOffset;
            this.contentLength = contentLength;
        }

        Journal.Position position() {
            return new Journal.Position(segment, recordOffset);
        }

        void moveTo(Journal.Position position) {
            this.segment = position.segment();
            this.recordOffset = Math.toIntExact(position.offset());
        }

        /** Sets recipient {@code recipient}'s status; a change for a recipient the message does not have is ignored. */
        void apply(RecipientChange change) {
            if (change.recipient() >= 0 && change.recipient() < statuses.length) {
                if (statuses == ONE_QUEUED) {
                    statuses = ONE_QUEUED.clone();
                }
                statuses[change.recipient()] = change.status();
            }
        }

        /** The message as its last record on disk, {@code header}, says with the statuses and mark it has now. */
        StoredMessage current(JournalRecords.Message header) {
            return new StoredMessage(header.id(), header.submitMillis(), header.expiryMillis(), header.envelope(), List.of(statuses),
                    delayNoticeSent);
        }
    }

    @Override
    public void recover(RecoverySink sink) {
        // Replay straight into the index; the order of first appearance is kept in plain lists
        // (where a linked map would cost a second index at the peak), each decoded record beside
        // its entry until the entry's message is handed on: the entry itself keeps no header.
        List<Entry> order = new ArrayList<>(expectedMessages);
        List<JournalRecords.Message> headers = new ArrayList<>(expectedMessages);
        JournalRecords.Reading reading = new JournalRecords.Reading();
        long[] undecodable = {0}; // sound checksum, unreadable body: counted with the corrupt ones
        journal.scan((position, body) -> {
            try {
                switch (JournalRecords.type(body)) {
                    case JournalRecords.MESSAGE -> {
                        JournalRecords.Message record = JournalRecords.decodeMessage(body, reading);
                        Entry entry = new Entry(record, position);
                        Entry moved = index.put(record.id(), entry);
                        if (moved != null) {
                            moved.removed = true; // the copy written when it was moved out of an old segment wins
                        }
                        order.add(entry);
                        headers.add(record);
                        reclaimer.written(position.segment());
                    }
                    case JournalRecords.UPDATE -> {
                        JournalRecords.Update update = JournalRecords.decodeUpdate(body, reading);
                        Entry entry = index.get(update.id());
                        if (entry != null) {
                            apply(entry, update.changes(), update.delayNoticeSent());
                        }
                    }
                    case JournalRecords.REMOVE -> {
                        Entry entry = index.remove(JournalRecords.decodeRemove(body, reading));
                        if (entry != null) {
                            entry.removed = true;
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
        // Every live message counts in its segment before the first is handed on: the sink may
        // remove one, and the reclamation that follows must see the other messages live.
        for (Entry entry : order) {
            if (!entry.removed) {
                reclaimer.live(entry.segment);
            }
        }
        reclaimer.recovered();
        for (int i = 0; i < order.size(); i++) {
            Entry entry = order.get(i);
            JournalRecords.Message header = headers.get(i);
            order.set(i, null); // let the lists go as they are read
            headers.set(i, null);
            if (!entry.removed) {
                sink.accept(entry.current(header), entry.contentLength);
            }
        }
        reclaimer.reclaimOrLog();
        long setAside = corruptRecords();
        LOG.info(() -> "Outbox journal " + directory + ": recovered " + index.size() + " messages from "
                + journal.segmentCount() + " segments (" + journal.sizeBytes() + " bytes)"
                + (setAside > 0 ? "; " + setAside + " records set aside" : ""));
    }

    @Override
    public void add(StoredMessage message, byte[] content) throws QueueFullException {
        add(message, content, true);
    }

    /** As {@link #add}, past {@code maxBytes}: a notice is refused only when the disk has no room. */
    @Override
    public void addNotice(StoredMessage message, byte[] content) throws QueueFullException {
        add(message, content, false);
    }

    private void add(StoredMessage message, byte[] content, boolean withinLimit) throws QueueFullException {
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
            Entry entry = new Entry(message, position, head, content.length);
            index.put(message.id(), entry);
            reclaimer.added(position.segment());
        } finally {
            reclaimer.endAdd();
        }
    }

    @Override
    public void update(String id, List<RecipientChange> changes, boolean delayNoticeSent) {
        Entry entry = index.get(id);
        if (entry == null || changes.isEmpty() && !delayNoticeSent) {
            return;
        }
        synchronized (entry) {
            if (entry.removed) {
                return;
            }
            append(id, "update", Journal.Wait.SLEEP, JournalRecords.update(id, changes, delayNoticeSent));
            apply(entry, changes, delayNoticeSent);
        }
    }

    @Override
    public void remove(String id) {
        Entry entry = index.get(id);
        if (entry == null) {
            return;
        }
        synchronized (entry) {
            if (entry.removed) {
                return;
            }
            append(id, "remove", Journal.Wait.SLEEP, JournalRecords.remove(id));
            entry.removed = true;
            index.remove(id);
            reclaimer.removed(entry.segment);
        }
        reclaimer.reclaimOrLog(); // the removal is durable: a failure to reclaim costs only space
    }

    @Override
    public byte[] content(String id) {
        Entry entry = index.get(id);
        if (entry == null) {
            throw new StoreException("message " + id + " is not in the store " + directory);
        }
        synchronized (entry) {
            try {
                return journal.read(entry.position(), entry.contentOffset, entry.contentLength);
            } catch (IOException e) {
                throw new StoreException("cannot read message " + id + " from journal segment " + entry.segment + " of " + directory
                        + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public int messageCount() {
        return index.size();
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
    public int contentLength(String id) {
        Entry entry = index.get(id);
        return entry == null ? -1 : entry.contentLength;
    }

    @Override
    public Set<String> frozenDestinations() {
        return frozen.read();
    }

    @Override
    public void saveFrozenDestinations(Set<String> destinations) {
        frozen.write(destinations);
    }

    @Override
    public void close() {
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

    private static void apply(Entry entry, List<RecipientChange> changes, boolean delayNoticeSent) {
        entry.delayNoticeSent |= delayNoticeSent;
        for (RecipientChange change : changes) {
            entry.apply(change);
        }
    }

}
