package dev.outbox.store.journal;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The bodies of the journal's three records, and how they are written and read.
 *
 * <p>A body starts with one byte: its version in the high four bits, its type in the low four.
 * <pre>
 * MESSAGE  type=1 | id | submit millis | expiry millis | reverse path | n | n x recipient | content length | content
 *          (a recipient: address | state | due millis | attempts; written on add, and again
 *          whole when a message is moved out of an old segment)
 * UPDATE   type=2 | id | n | n x (recipient index | state | due millis | attempts)
 * REMOVE   type=3 | id
 * </pre>
 * Strings are a 2-byte length and UTF-8; numbers are big-endian. A body that does not decode
 * throws {@link IllegalArgumentException}.
 *
 * <h2>Versions</h2>
 * The first byte of a body is {@code version << 4 | type}. Version 0 ({@link #VERSION}, written
 * now) is the layout above, byte for byte what Outbox wrote before bodies had a version (their
 * first byte was the type alone), so a journal written now is still read by an Outbox from before
 * versions: a rollback loses nothing. A field is added by a new version that appends it to the layout above (in a MESSAGE, before the
 * content length; per recipient, after the attempts); the decoder reads a field only in bodies
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

    /** The version of the records this code writes; it reads every version up to this one. Raise it with the first added field. */
    static final int VERSION = 0;

    private static final RecipientState[] STATES = RecipientState.values();
    /** Distinct senders shared during one recovery; past that (VERP, say) each keeps its own. */
    private static final int MAX_SHARED_SENDERS = 10_000;

    private JournalRecords() {
    }

    /** A decoded MESSAGE record, with where its content sits inside the body. */
    record Message(StoredMessage message, int contentOffset, int contentLength) {
    }

    /** A decoded UPDATE record. */
    record Update(String id, List<RecipientChange> changes) {
    }

    /**
     * A MESSAGE record's body in two parts: all but the content, then the content itself,
     * not copied. The content starts at the first part's length.
     */
    static ByteBuffer[] message(StoredMessage message, byte[] content) {
        byte[] id = utf8(message.id());
        byte[] reversePath = utf8(message.envelope().reversePath());
        List<byte[]> recipients = new ArrayList<>();
        int size = 1 + 2 + id.length + 8 + 8 + 2 + reversePath.length + 4 + 4;
        for (String recipient : message.envelope().recipients()) {
            byte[] address = utf8(recipient);
            recipients.add(address);
            size += 2 + address.length + 1 + 8 + 4;
        }
        ByteBuffer body = ByteBuffer.allocate(size).put(first(MESSAGE));
        putString(body, id).putLong(message.submitMillis()).putLong(message.expiryMillis());
        putString(body, reversePath).putInt(recipients.size());
        for (int i = 0; i < recipients.size(); i++) {
            putString(body, recipients.get(i));
            putStatus(body, message.statuses().get(i));
        }
        body.putInt(content.length);
        return new ByteBuffer[] {body.flip(), ByteBuffer.wrap(content)};
    }

    static ByteBuffer update(String id, List<RecipientChange> changes) {
        byte[] idBytes = utf8(id);
        ByteBuffer body = ByteBuffer.allocate(1 + 2 + idBytes.length + 4 + changes.size() * (4 + 1 + 8 + 4)).put(first(UPDATE));
        putString(body, idBytes).putInt(changes.size());
        for (RecipientChange change : changes) {
            body.putInt(change.recipient());
            putStatus(body, change.status());
        }
        return body.flip();
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
     * Decodes a MESSAGE record; a reverse path already in {@code senders} is shared
     * instead of kept once per message (an application sends from few addresses, and a backlog
     * of a million messages would otherwise hold a million copies of them).
     */
    static Message decodeMessage(ByteBuffer body, Map<String, String> senders) {
        start(body); // versions 0 and 1 share one layout
        String id = getString(body);
        long submit = body.getLong();
        long expiry = body.getLong();
        String reversePath = getString(body);
        String known = senders.get(reversePath);
        if (known != null) {
            reversePath = known;
        } else if (senders.size() < MAX_SHARED_SENDERS) {
            senders.put(reversePath, reversePath);
        }
        int n = count(body);
        List<String> addresses = new ArrayList<>(n);
        List<RecipientStatus> statuses = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            addresses.add(getString(body));
            statuses.add(getStatus(body));
        }
        int contentLength = body.getInt();
        if (contentLength < 0 || contentLength != body.remaining()) {
            throw new IllegalArgumentException("message " + id + ": content length " + contentLength + " but " + body.remaining() + " bytes follow");
        }
        StoredMessage message = new StoredMessage(id, submit, expiry, new Envelope(reversePath, addresses), statuses);
        return new Message(message, body.position(), contentLength);
    }

    static Update decodeUpdate(ByteBuffer body) {
        start(body); // versions 0 and 1 share one layout
        String id = getString(body);
        int n = count(body);
        List<RecipientChange> changes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            changes.add(new RecipientChange(body.getInt(), getStatus(body)));
        }
        return new Update(id, changes);
    }

    static String decodeRemove(ByteBuffer body) {
        start(body); // versions 0 and 1 share one layout
        return getString(body);
    }

    private static void putStatus(ByteBuffer body, RecipientStatus status) {
        body.put((byte) status.state().ordinal()).putLong(status.dueMillis()).putInt(status.attempts());
    }

    private static RecipientStatus getStatus(ByteBuffer body) {
        int state = body.get();
        if (state < 0 || state >= STATES.length) {
            throw new IllegalArgumentException("unknown recipient state " + state);
        }
        long due = body.getLong();
        int attempts = body.getInt();
        if (STATES[state] == RecipientState.QUEUED && due == 0 && attempts == 0) {
            return RecipientStatus.QUEUED; // the common case shares one object: a backlog is mostly this
        }
        return new RecipientStatus(STATES[state], due, attempts);
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

    private static String getString(ByteBuffer body) {
        int length = Short.toUnsignedInt(body.getShort());
        byte[] bytes = new byte[length];
        body.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > 0xFFFF) {
            throw new IllegalArgumentException("string of " + bytes.length + " bytes is too long for a journal record");
        }
        return bytes;
    }
}
