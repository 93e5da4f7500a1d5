package dev.outbox.store;

import java.util.Objects;

/**
 * What a store knows of one message it holds, kept in the object its caller holds for that
 * message: the queue's own message extends this class, so a million queued messages cost a store
 * neither an index nor an object of its own. A store hands one out for each message it adds or
 * recovers ({@link MessageStore#add}, {@link MessageStore.RecoverySink}); the caller passes it
 * back to update, remove or read that message, or first moves it into its own object with
 * {@link #takeOver}.
 *
 * <p>The fields belong to the store that made the entry (what each means is that store's: the
 * journal keeps its record's segment and offset here, and the statuses it last recorded); callers
 * read only {@link #id} and {@link #contentLength}. Threading: a store reads and writes them under
 * the entry's monitor, which its caller may hold around a call already.
 */
public abstract class StoreEntry {

    /** Null once the message is removed (or before it is placed). */
    private Object place;
    private int offset;
    /** Where the content starts, in the low 31 bits; the delay-notice mark as recorded in the top bit (a boolean field would round the queue's message up by 8 bytes). */
    private int contentOffsetAndMark;
    private int contentLength;
    private RecipientStatus[] recorded;

    /** The message's queue id. */
    public abstract String id();

    /** The length in bytes of the message's content. */
    public final int contentLength() {
        return contentLength;
    }

    /**
     * Takes the store's part of {@code entry}, one its store handed out for the same message, into
     * this object, which the caller keeps instead; {@code entry} is not used again. Called before this
     * object is passed to the store, and before any other thread can reach it.
     */
    protected final void takeOver(StoreEntry entry) {
        if (!entry.id().equals(id())) {
            throw new IllegalArgumentException("entry of message " + entry.id() + " given to message " + id());
        }
        synchronized (entry) {
            place = entry.place;
            offset = entry.offset;
            contentOffsetAndMark = entry.contentOffsetAndMark;
            contentLength = entry.contentLength;
            recorded = entry.recorded;
        }
    }

    // What follows is for stores only.

    /**
     * Where the store keeps the message, in its own terms (the journal: one shared object for the
     * segment of its record, which costs a reference where its number would cost a long); null
     * once removed.
     */
    public final Object place() {
        return place;
    }

    /** A second part of {@link #place()} (the journal: the record's offset in its segment). */
    public final int offset() {
        return offset;
    }

    /** Where the content starts, in the store's terms (the journal: its offset in the record). */
    public final int contentOffset() {
        return contentOffsetAndMark & Integer.MAX_VALUE;
    }

    /** Sets where the message is now, and where its content starts there. */
    public final void placeAt(Object place, int offset, int contentOffset) {
        if (contentOffset < 0) { // checked first: a refused call leaves the entry as it was
            throw new IllegalArgumentException("content offset " + contentOffset + " of message " + id());
        }
        this.place = Objects.requireNonNull(place, "place");
        this.offset = offset;
        this.contentOffsetAndMark = (contentOffsetAndMark & Integer.MIN_VALUE) | contentOffset;
    }

    /** Marks the message removed: {@link #place()} becomes null. */
    public final void removed() {
        this.place = null;
    }

    /** True once {@link #removed} (or before the message was placed). */
    public final boolean isRemoved() {
        return place == null;
    }

    public final void contentLength(int contentLength) {
        this.contentLength = contentLength;
    }

    /** The recipients' statuses as the store last recorded them, for a store that keeps them (null for one that does not). */
    public final RecipientStatus[] recorded() {
        return recorded;
    }

    public final void recorded(RecipientStatus[] statuses) {
        this.recorded = Objects.requireNonNull(statuses, "statuses");
    }

    /** The delay-notice mark as the store last recorded it. */
    public final boolean delayNoticeRecorded() {
        return contentOffsetAndMark < 0;
    }

    public final void delayNoticeRecorded(boolean recorded) {
        this.contentOffsetAndMark = recorded ? contentOffsetAndMark | Integer.MIN_VALUE : contentOffsetAndMark & Integer.MAX_VALUE;
    }

    /** An entry of a store's own making, before (or instead of) its caller's object: it knows only its id. */
    public static final class Own extends StoreEntry {
        private final String id;

        public Own(String id) {
            this.id = Objects.requireNonNull(id, "id");
        }

        @Override
        public String id() {
            return id;
        }

        @Override
        public String toString() {
            return "entry of message " + id;
        }
    }
}
