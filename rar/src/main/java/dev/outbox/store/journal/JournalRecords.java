package dev.outbox.store.journal;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The bodies of the journal's three records, and how they are written and read.
 *
 * <p>A body starts with one byte: its version in the high four bits, its type in the low four.
 * <pre>
 * MESSAGE  type=1 | id | submit millis | expiry millis | reverse path | n | n x (address | status)
 *          | flags (1) | content length | content
 *          (written on add, and again whole when a message is moved out of an old segment)
 * UPDATE   type=2 | id | n | n x (recipient index | status) | flags (1)
 * REMOVE   type=3 | id
 *
 * status   = state (1) | due millis (8) | attempts (4)
 *            | reply code (2) | reply text | remote host | last attempt millis (8) | flags (1)
 * </pre>
 * Strings are a 2-byte length and UTF-8; numbers are big-endian. A message's flags: bit 0, its
 * delay notice is sent (in an UPDATE, set now; a set bit is never cleared). A status's flags:
 * bit 0, a DSN is owed for the recipient and not yet queued. A body that does not decode throws
 * {@link IllegalArgumentException}.
 *
 * <p>Version 1 (written now) is the layout above. Version 0 lacks what version 1 appended: the
 * message flags and, in a status, everything after the attempts; read, they take their defaults
 * (not sent; no reply, no host, never tried, no notice owed). A version-1 status is 15 bytes
 * longer than a version-0 one when it has no reply and no host, and a MESSAGE or UPDATE one
 * byte longer besides.
 *
 * <h2>Versions</h2>
 * The first byte of a body is {@code version << 4 | type}. Version 0 is the layout above less
 * what version 1 appended (see above), byte for byte what Outbox wrote before bodies had a
 * version (their first byte was the type alone). Version 1 ({@link #VERSION}, written now) added
 * the DSN fields; an Outbox that reads only version 0 refuses its records (and keeps their
 * segments, as below), so a rollback past it needs the journal drained first.
 * A field is added by a new version that appends it to the layout (in a MESSAGE, before the
 * content length; in a status, at its end; in an UPDATE, at the end); the decoder reads a field only in bodies
 * whose version has it and gives older ones its default, so every journal written since version
 * 0 stays readable. Records keep the version they were written with, except that a message moved
 * out of an old segment is written again in the current one. A body of a version newer than
 * {@link #VERSION} (written by a later Outbox, then downgraded) does not decode: it is counted and
 * skipped like a corrupt one, with a message naming both versions, and its segment is never
 * reclaimed, so that the later Outbox, put back, finds it.
 */
final class JournalRecords {

    static final byte MESSAGE = 1;
    static final byte UPDATE = 2;
    static final byte REMOVE = 3;

    /** The version of the records this code writes; it reads every version up to this one. Raise it with each added field. */
    static final int VERSION = 1;
    /** The version that added the DSN fields: message and status flags, reply, host, last attempt. */
    private static final int DSN_FIELDS = 1;

    private static final int MESSAGE_DELAY_NOTICE_SENT = 1;
    private static final int STATUS_NOTICE_PENDING = 1;
    private static final byte[] EMPTY = new byte[0];
    /** A status with no reply and no host: state, due, attempts, code, two empty strings, last attempt, flags. */
    private static final int STATUS_BYTES = 1 + 8 + 4 + 2 + 2 + 2 + 8 + 1;

    private static final RecipientState[] STATES = RecipientState.values();
    /** Distinct senders shared during one recovery; past that (VERP, say) each keeps its own. */
    private static final int MAX_SHARED_SENDERS = 10_000;

    private JournalRecords() {
    }

    /**
     * A decoded MESSAGE record, with where its content sits inside the body. Its fields are those
     * of a {@link StoredMessage}, the statuses in an array of their own that the taker may keep
     * and change, and the envelope as its parts: the reverse path and the recipients' UTF-8 bytes
     * (a {@code byte[]} for one, a {@code byte[][]} for several), checked as an envelope when
     * decoded and made one again by {@link #envelope}. Recovery holds a million of these parts at
     * once, and an {@link Envelope} with its list and strings would take twice the heap.
     */
    record Message(String id, long submitMillis, long expiryMillis, String reversePath, Object recipients,
                   RecipientStatus[] statuses, boolean delayNoticeSent, int contentOffset, int contentLength) {

        Envelope envelope() {
            return JournalRecords.envelope(reversePath, recipients);
        }

        /** The message as {@link JournalRecords#message} was given it. */
        StoredMessage message() {
            return new StoredMessage(id, submitMillis, expiryMillis, envelope(), List.of(statuses), delayNoticeSent);
        }
    }

    /** The envelope of {@code reversePath} and {@code recipients} as {@link Message} keeps them; checked as every envelope is. */
    static Envelope envelope(String reversePath, Object recipients) {
        if (recipients instanceof byte[] only) {
            return new Envelope(reversePath, List.of(new String(only, StandardCharsets.UTF_8)));
        }
        byte[][] all = (byte[][]) recipients;
        String[] addresses = new String[all.length];
        for (int i = 0; i < all.length; i++) {
            addresses[i] = new String(all[i], StandardCharsets.UTF_8);
        }
        return new Envelope(reversePath, List.of(addresses));
    }

    /**
     * What one recovery's decoding keeps from record to record, for one thread: the senders it
     * shares (an application sends from few addresses, and a backlog of a million messages would
     * otherwise hold a million copies of them) and a buffer that text is read through, so that
     * reading a string makes only the string.
     */
    static final class Reading {
        private final Map<String, String> senders = new HashMap<>();
        private byte[] buffer = new byte[256];
        /** The last sender's bytes and its shared string: a backlog's next message is most often from the same. */
        private byte[] lastSender = EMPTY;
        private String lastSenderText = "";

        /** The next string of {@code body}. */
        String string(ByteBuffer body) {
            int length = Short.toUnsignedInt(body.getShort());
            return length == 0 ? "" : new String(read(body, length), 0, length, StandardCharsets.UTF_8);
        }

        /** The next string of {@code body}, a sender: the same one each time it comes again. */
        String sender(ByteBuffer body) {
            int length = Short.toUnsignedInt(body.getShort());
            if (length == 0) {
                return "";
            }
            byte[] bytes = read(body, length);
            if (Arrays.equals(bytes, 0, length, lastSender, 0, lastSender.length)) {
                return lastSenderText;
            }
            String sender = new String(bytes, 0, length, StandardCharsets.UTF_8);
            String known = senders.get(sender);
            if (known != null) {
                sender = known;
            } else if (senders.size() < MAX_SHARED_SENDERS) {
                senders.put(sender, sender);
            }
            lastSender = Arrays.copyOf(bytes, length);
            lastSenderText = sender;
            return sender;
        }

        /** The next string of {@code body} as its bytes, a copy of its own. */
        byte[] bytes(ByteBuffer body) {
            int length = Short.toUnsignedInt(body.getShort());
            if (length == 0) {
                return EMPTY;
            }
            byte[] bytes = new byte[length];
            body.get(bytes);
            return bytes;
        }

        private byte[] read(ByteBuffer body, int length) {
            if (buffer.length < length) {
                buffer = new byte[Math.max(length, 2 * buffer.length)];
            }
            body.get(buffer, 0, length);
            return buffer;
        }
    }

    /** A decoded UPDATE record. */
    record Update(String id, List<RecipientChange> changes, boolean delayNoticeSent) {
    }

    /**
     * A MESSAGE record's body in two parts: all but the content, then the content itself,
     * not copied. The content starts at the first part's length.
     */
    static ByteBuffer[] message(StoredMessage message, byte[] content) {
        byte[] id = utf8(message.id());
        byte[] reversePath = utf8(message.envelope().reversePath());
        List<String> addresses = message.envelope().recipients();
        List<RecipientStatus> statuses = message.statuses();
        // Per recipient its address, reply text and host; the last two are the shared EMPTY when absent, as on add.
        byte[][] strings = new byte[addresses.size() * 3][];
        int size = 1 + 2 + id.length + 8 + 8 + 2 + reversePath.length + 4 + 1 + 4;
        for (int i = 0; i < addresses.size(); i++) {
            size += 2 + (strings[3 * i] = utf8(addresses.get(i))).length + statusSize(statuses.get(i), strings, 3 * i + 1);
        }
        ByteBuffer body = ByteBuffer.allocate(size).put(first(MESSAGE));
        putString(body, id).putLong(message.submitMillis()).putLong(message.expiryMillis());
        putString(body, reversePath).putInt(addresses.size());
        for (int i = 0; i < addresses.size(); i++) {
            putString(body, strings[3 * i]);
            putStatus(body, statuses.get(i), strings, 3 * i + 1);
        }
        body.put((byte) (message.delayNoticeSent() ? MESSAGE_DELAY_NOTICE_SENT : 0)).putInt(content.length);
        return new ByteBuffer[] {body.flip(), ByteBuffer.wrap(content)};
    }

    /** An UPDATE record's body: new statuses and, if {@code delayNoticeSent}, the message's delay notice marked sent. */
    static ByteBuffer update(String id, List<RecipientChange> changes, boolean delayNoticeSent) {
        byte[] idBytes = utf8(id);
        byte[][] strings = new byte[changes.size() * 2][];
        int size = 1 + 2 + idBytes.length + 4 + 1;
        for (int i = 0; i < changes.size(); i++) {
            size += 4 + statusSize(changes.get(i).status(), strings, 2 * i);
        }
        ByteBuffer body = ByteBuffer.allocate(size).put(first(UPDATE));
        putString(body, idBytes).putInt(changes.size());
        for (int i = 0; i < changes.size(); i++) {
            body.putInt(changes.get(i).recipient());
            putStatus(body, changes.get(i).status(), strings, 2 * i);
        }
        return body.put((byte) (delayNoticeSent ? MESSAGE_DELAY_NOTICE_SENT : 0)).flip();
    }

    static ByteBuffer remove(String id) {
        byte[] idBytes = utf8(id);
        return putString(ByteBuffer.allocate(1 + 2 + idBytes.length).put(first(REMOVE)), idBytes).flip();
    }

    /** The record's type: {@link #MESSAGE}, {@link #UPDATE}, {@link #REMOVE}, or another number for a body that does not decode. */
    static byte type(ByteBuffer body) {
        return (byte) (body.get(0) & 0x0F);
    }

    /** The version of the record's layout: 0 for records written before there were versions. */
    static int version(ByteBuffer body) {
        return (body.get(0) & 0xF0) >>> 4;
    }

    private static byte first(byte type) {
        return (byte) (VERSION << 4 | type);
    }

    /** Positions {@code body} after its first byte and returns its version; throws for one this code does not read. */
    private static int start(ByteBuffer body) {
        int version = version(body);
        if (version > VERSION) {
            throw new IllegalArgumentException("record version " + version + " is newer than this Outbox reads (up to " + VERSION + ")");
        }
        body.position(1);
        return version;
    }

    /**
     * Decodes a MESSAGE record; a reverse path met before in the same {@code reading} is shared
     * instead of kept once per message. The envelope is made and checked as on submit.
     */
    static Message decodeMessage(ByteBuffer body, Reading reading) {
        int version = start(body);
        String id = reading.string(body);
        long submit = body.getLong();
        long expiry = body.getLong();
        String reversePath = reading.sender(body);
        int n = count(body);
        byte[] only = null;
        byte[][] all = n == 1 ? null : new byte[n][];
        RecipientStatus[] statuses = new RecipientStatus[n];
        for (int i = 0; i < n; i++) {
            byte[] address = reading.bytes(body);
            if (all == null) {
                only = address;
            } else {
                all[i] = address;
            }
            statuses[i] = getStatus(body, version, reading);
        }
        boolean delayNoticeSent = version >= DSN_FIELDS && (body.get() & MESSAGE_DELAY_NOTICE_SENT) != 0;
        int contentLength = body.getInt();
        if (contentLength < 0 || contentLength != body.remaining()) {
            throw new IllegalArgumentException("message " + id + ": content length " + contentLength + " but " + body.remaining() + " bytes follow");
        }
        Object recipients = all == null ? only : all;
        // Checked now, as an envelope, and let go: what is kept is the parts.
        if (envelope(reversePath, recipients).recipients().size() != n) { // a repeated recipient, which no submit stores: as StoredMessage refuses it
            throw new IllegalArgumentException("message " + id + " has " + envelope(reversePath, recipients).recipients().size()
                    + " recipients but " + n + " statuses");
        }
        return new Message(id, submit, expiry, reversePath, recipients, statuses, delayNoticeSent, body.position(), contentLength);
    }

    static Update decodeUpdate(ByteBuffer body, Reading reading) {
        int version = start(body);
        String id = reading.string(body);
        int n = count(body);
        List<RecipientChange> changes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            changes.add(new RecipientChange(body.getInt(), getStatus(body, version, reading)));
        }
        boolean delayNoticeSent = version >= DSN_FIELDS && (body.get() & MESSAGE_DELAY_NOTICE_SENT) != 0;
        return new Update(id, changes, delayNoticeSent);
    }

    static String decodeRemove(ByteBuffer body, Reading reading) {
        start(body); // every version has the same layout
        return reading.string(body);
    }

    /** The bytes {@code status} takes; its reply text and host, encoded, go to {@code strings} at {@code at} and after. */
    private static int statusSize(RecipientStatus status, byte[][] strings, int at) {
        byte[] text = strings[at] = status.replyText().isEmpty() ? EMPTY : utf8(status.replyText());
        byte[] host = strings[at + 1] = status.remoteHost().isEmpty() ? EMPTY : utf8(status.remoteHost());
        return STATUS_BYTES + text.length + host.length;
    }

    private static void putStatus(ByteBuffer body, RecipientStatus status, byte[][] strings, int at) {
        body.put((byte) status.state().ordinal()).putLong(status.dueMillis()).putInt(status.attempts());
        body.putShort((short) status.replyCode());
        putString(body, strings[at]);
        putString(body, strings[at + 1]);
        body.putLong(status.lastAttemptMillis()).put((byte) (status.noticePending() ? STATUS_NOTICE_PENDING : 0));
    }

    private static RecipientStatus getStatus(ByteBuffer body, int version, Reading reading) {
        int state = body.get();
        if (state < 0 || state >= STATES.length) {
            throw new IllegalArgumentException("unknown recipient state " + state);
        }
        long due = body.getLong();
        int attempts = body.getInt();
        if (version < DSN_FIELDS) {
            return status(STATES[state], due, attempts);
        }
        int code = Short.toUnsignedInt(body.getShort());
        String text = reading.string(body);
        String host = reading.string(body);
        long lastAttempt = body.getLong();
        boolean noticePending = (body.get() & STATUS_NOTICE_PENDING) != 0;
        if (code == 0 && text.isEmpty() && host.isEmpty() && lastAttempt == 0 && !noticePending) {
            return status(STATES[state], due, attempts);
        }
        return new RecipientStatus(STATES[state], due, attempts, code, text, host, lastAttempt, noticePending);
    }

    private static RecipientStatus status(RecipientState state, long due, int attempts) {
        if (state == RecipientState.QUEUED && due == 0 && attempts == 0) {
            return RecipientStatus.QUEUED; // the common case shares one object: a backlog is mostly this
        }
        return new RecipientStatus(state, due, attempts);
    }

    private static int count(ByteBuffer body) {
        int n = body.getInt();
        if (n < 0 || n > body.remaining()) {
            throw new IllegalArgumentException("count " + n + " does not fit the record");
        }
        return n;
    }

    private static ByteBuffer putString(ByteBuffer body, byte[] bytes) {
        return body.putShort((short) bytes.length).put(bytes);
    }

    private static byte[] utf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("string of " + bytes.length + " bytes is too long for a journal record");
        }
        return bytes;
    }
}
