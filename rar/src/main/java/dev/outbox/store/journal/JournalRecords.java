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
 * <pre>
 * MESSAGE  type=1 | id | submit millis | expiry millis | reverse path | n | n x recipient | content length | content
 *          (a recipient: address | state | due millis | attempts; written on add, and again
 *          whole when a message is moved out of an old segment)
 * UPDATE   type=2 | id | n | n x (recipient index | state | due millis | attempts)
 * REMOVE   type=3 | id
 * </pre>
 * Strings are a 2-byte length and UTF-8; numbers are big-endian. A body that does not decode
 * throws {@link IllegalArgumentException}.
 */
final class JournalRecords {

    static final byte MESSAGE = 1;
    static final byte UPDATE = 2;
    static final byte REMOVE = 3;

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
        ByteBuffer body = ByteBuffer.allocate(size).put(MESSAGE);
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
        ByteBuffer body = ByteBuffer.allocate(1 + 2 + idBytes.length + 4 + changes.size() * (4 + 1 + 8 + 4)).put(UPDATE);
        putString(body, idBytes).putInt(changes.size());
        for (RecipientChange change : changes) {
            body.putInt(change.recipient());
            putStatus(body, change.status());
        }
        return body.flip();
    }

    static ByteBuffer remove(String id) {
        byte[] idBytes = utf8(id);
        return putString(ByteBuffer.allocate(1 + 2 + idBytes.length).put(REMOVE), idBytes).flip();
    }

    static byte type(ByteBuffer body) {
        return body.get(0);
    }

    /**
     * Decodes a MESSAGE record; a reverse path already in {@code senders} is shared
     * instead of kept once per message (an application sends from few addresses, and a backlog
     * of a million messages would otherwise hold a million copies of them).
     */
    static Message decodeMessage(ByteBuffer body, Map<String, String> senders) {
        body.position(1);
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
        body.position(1);
        String id = getString(body);
        int n = count(body);
        List<RecipientChange> changes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            changes.add(new RecipientChange(body.getInt(), getStatus(body)));
        }
        return new Update(id, changes);
    }

    static String decodeRemove(ByteBuffer body) {
        body.position(1);
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
