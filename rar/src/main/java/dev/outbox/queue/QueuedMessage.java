package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoredMessage;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;


/**
 * A message in the queue: its envelope and, per recipient, state, a time, attempts and
 * transfer queue. Its content stays in the store, and what the store knows of it is in this
 * object too (it is the message's {@link StoreEntry}): the store keeps no index of its own.
 *
 * <p>Each recipient's time is its clock: for DEFERRED the time it is due again, for QUEUED the
 * time it became due, for IN_FLIGHT the deadline of its attempt. Nothing but this time says
 * when a recipient must be attempted; the queues' structures only index it, and the sweep
 * checks the times themselves.
 *
 * <p>Every change of a recipient's state is a verb here ({@link #takeInFlight},
 * {@link #deliver}, {@link #defer}, {@link #bounce}, {@link #expire}, {@link #merge},
 * {@link #requeue}) that checks the state it starts from and throws
 * {@link IllegalStateException} naming the current one, so an impossible transition fails
 * loudly instead of corrupting the queue. Only {@link RecipientLedger} calls them. A verb whose
 * result must survive a crash returns the {@link RecipientChange} the caller persists before it
 * lets go of the message's lock.
 *
 * <p>Threading: callers hold the message's monitor ({@code synchronized (message)}) around
 * verbs and reads of recipient state. The links {@link #older} and {@link #newer} belong to
 * {@link RecipientLedger}'s list of live messages and are guarded by its lock.
 */
public final class QueuedMessage extends StoreEntry {

    /**
     * The id's 128 bits, as {@link QueueIds#high} and {@link QueueIds#low} read them, when it is
     * an id as the queue issues them; else {@code idHigh} is -1 and the id is in the notes. Two
     * longs, not a String: a backlog saves 56 bytes a message. The id's time is the submit time,
     * unless the notes say otherwise (a notice's id carries its original's).
     */
    private final long idHigh;
    private final long idLow;
    /**
     * When undelivered recipients expire, as its distance from the submit time: milliseconds (0
     * or more), or -1 - whole seconds past 24 days (an expiry a year out); {@link #EXPIRY_IN_NOTES}
     * for any other, kept in the notes. An int, not a long: it is what fits the message in 88 bytes.
     */
    private final int expiresAfter;
    private static final int EXPIRY_IN_NOTES = Integer.MIN_VALUE;
    /** The envelope's parts, not an Envelope: its record and list cost a backlog about 48 bytes a message. */
    private final String reversePath;
    /**
     * The only recipient's address in UTF-8 (a byte[]), or every recipient's (a byte[][]): bytes,
     * not Strings, which would cost a backlog 24 bytes more an address. Made a String when read.
     */
    private final Object recipients;
    /**
     * One slot per recipient: due time in milliseconds (48 bits), attempts (10 bits, saturating),
     * an operator's intent for a recipient in flight (2 bits) and state (4 bits). Packed because a
     * backlog holds a million of these: parallel arrays cost about 50 bytes a message more. The
     * only recipient's slot is a field ({@code slots} null), which saves most messages an array
     * of 24 bytes; from two recipients every slot is in {@code slots}.
     */
    private long onlySlot;
    private final long[] slots;
    /** The transfer queue of every recipient when they share one, else a TransferQueue[]. */
    private final Object queues;

    /** What most messages never need, made at the first need: a backlog of fresh mail pays one reference for it. */
    private Notes notes;

    /** Neighbours in the ledger's list of live messages (two references: the sweep's index costs no map); {@code older} is the message itself while it is not in the list. */
    QueuedMessage older;
    QueuedMessage newer;

    private static final RecipientState[] STATES = RecipientState.values();
    private static final int MAX_ATTEMPTS = 0x3FF;

    /** What an operator asked for a recipient while it was in flight: applied when its attempt ends. */
    enum Intent {
        NONE, FREEZE, DELETE, DELETE_WITH_NOTICE
    }

    /**
     * The last reply a recipient had from a host: what its notice's Diagnostic-Code, Remote-MTA
     * and Last-Attempt-Date say.
     *
     * @param code      the reply code, or 0 when no reply was had (the connection failed)
     * @param reply     the reply starting with its code, or the failure's description
     * @param host      the host that answered, or ""
     * @param atMillis  when the attempt ended
     */
    record Heard(int code, String reply, String host, long atMillis) {
    }

    private static final Intent[] INTENTS = Intent.values();

    /** The rarer part of a message's state, apart so that most messages go without it. */
    private static final class Notes {
        /** The last reply per recipient, made only once a recipient has one worth showing. */
        String[] lastReplies;
        /** What each recipient last heard from a host, for a delivery status notice; made at the first attempt that failed. */
        Heard[] heard;
        /** Recipients a notice is owed for and not yet durably queued; made at the first. */
        BitSet owed;
        /** Its delay notice is durably queued (sent once a message). */
        boolean delayNoticeSent;
        /** Its id, when it is not one the queue issues (a notice's, say), so not held by idHigh and idLow; set at construction. */
        String id;
        /** When it was accepted, when that is not its id's time; set at construction. */
        long submitMillis;
        boolean submitApart;
        /** When it expires, when {@code expiresAfter} cannot say; set at construction. */
        long expiryMillis;
    }

    private Notes notes() {
        if (notes == null) {
            notes = new Notes();
        }
        return notes;
    }

    /**
     * A stored message as the queue takes it at {@code admittedMillis}, with {@code entry}, the one
     * its store handed out for it (taken over: the store is called with this object from now on):
     * its QUEUED recipients are due since then.
     */
    QueuedMessage(StoredMessage stored, StoreEntry entry, TransferQueue[] queues, long admittedMillis) {
        String id = stored.id();
        boolean compact = QueueIds.isCompact(id);
        this.idHigh = compact ? QueueIds.high(id) : -1;
        this.idLow = compact ? QueueIds.low(id) : 0;
        if (!compact) {
            notes().id = id;
        }
        if (!compact || stored.submitMillis() != idHigh >>> 16) {
            notes().submitMillis = stored.submitMillis();
            notes().submitApart = true;
        }
        takeOver(entry);
        this.expiresAfter = expiresAfter(stored.submitMillis(), stored.expiryMillis());
        if (expiresAfter == EXPIRY_IN_NOTES) {
            notes().expiryMillis = stored.expiryMillis();
        }
        this.older = this; // not in the ledger's list (see live)
        List<String> addresses = stored.envelope().recipients();
        this.reversePath = stored.envelope().reversePath();
        int n = addresses.size();
        if (n == 1) {
            this.recipients = utf8(addresses.get(0));
        } else {
            byte[][] all = new byte[n][];
            for (int i = 0; i < n; i++) {
                all[i] = utf8(addresses.get(i));
            }
            this.recipients = all;
        }
        this.slots = n == 1 ? null : new long[n];
        boolean shared = true;
        for (int i = 0; i < n; i++) {
            RecipientStatus status = stored.statuses().get(i);
            long time = status.state() == RecipientState.QUEUED ? admittedMillis : status.dueMillis();
            setSlot(i, slot(status.state(), time, status.attempts()));
            shared &= queues[i] == queues[0];
            if (status.lastAttemptMillis() > 0) {
                heard(i, new Heard(status.replyCode(), status.replyText(), status.remoteHost(), status.lastAttemptMillis()));
                lastReply(i, status.replyText());
            }
            if (status.noticePending()) {
                owe(i);
            }
        }
        this.queues = shared ? queues[0] : queues.clone();
        if (stored.delayNoticeSent()) {
            notes().delayNoticeSent = true;
        }
    }

    private long slotOf(int recipient) {
        if (slots == null) {
            Objects.checkIndex(recipient, 1);
            return onlySlot;
        }
        return slots[recipient];
    }

    private void setSlot(int recipient, long slot) {
        if (slots == null) {
            Objects.checkIndex(recipient, 1);
            onlySlot = slot;
        } else {
            slots[recipient] = slot;
        }
    }

    private static long slot(RecipientState state, long dueMillis, int attempts) {
        return (dueMillis << 16) | ((long) Math.min(attempts, MAX_ATTEMPTS) << 6) | state.ordinal();
    }

    @Override
    public String id() {
        return idHigh < 0 ? notes.id : QueueIds.text(idHigh, idLow);
    }

    /** What {@link #hasId} compares: {@code id} read once, for a walk that compares it with many messages. */
    record IdKey(String id, boolean compact, long high, long low) {
        static IdKey of(String id) {
            boolean compact = QueueIds.isCompact(id);
            return new IdKey(id, compact, compact ? QueueIds.high(id) : -1, compact ? QueueIds.low(id) : 0);
        }
    }

    /** True when {@code key} is this message's id: compared without making its text. */
    boolean hasId(IdKey key) {
        if (idHigh < 0) {
            return !key.compact() && notes.id.equals(key.id());
        }
        return key.compact() && key.high() == idHigh && key.low() == idLow;
    }

    public long expiryMillis() {
        int after = expiresAfter;
        if (after == EXPIRY_IN_NOTES) {
            return notes.expiryMillis;
        }
        return submitMillis() + (after >= 0 ? after : (-1L - after) * 1000);
    }

    /** {@code expiresAfter} for a message submitted at {@code submitMillis} that expires at {@code expiryMillis}. */
    private static int expiresAfter(long submitMillis, long expiryMillis) {
        long after = expiryMillis - submitMillis;
        if (after >= 0 && after <= Integer.MAX_VALUE) {
            return (int) after;
        }
        if (after > 0 && after % 1000 == 0 && after / 1000 < Integer.MAX_VALUE) {
            return (int) (-1 - after / 1000);
        }
        return EXPIRY_IN_NOTES;
    }

    /**
     * True while the message is in the ledger's list: its {@link #older} link is its own self
     * while it is not (a reference to itself where a boolean would cost 8 bytes). Read under the
     * ledger's lock, or the message's where a stale answer only skips it.
     */
    boolean live() {
        return older != this;
    }

    /** Marks it out of the ledger's list (the ledger's call, under its lock). */
    void unlinked() {
        older = this;
        newer = null;
    }

    /** The reverse path (MAIL FROM), or "" for the null reverse path {@code <>}. */
    public String reversePath() {
        return reversePath;
    }

    /** True for the null reverse path {@code <>}: no notice is ever sent about this message. */
    boolean isNullSender() {
        return reversePath.isEmpty();
    }

    /** The address of recipient {@code recipient}, in the envelope's order. */
    public String recipient(int recipient) {
        byte[] address;
        if (recipients instanceof byte[] only) {
            Objects.checkIndex(recipient, 1);
            address = only;
        } else {
            address = ((byte[][]) recipients)[recipient];
        }
        return new String(address, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String address) {
        return address.getBytes(StandardCharsets.UTF_8);
    }

    int recipientCount() {
        return slots == null ? 1 : slots.length;
    }

    RecipientState state(int recipient) {
        return STATES[(int) (slotOf(recipient) & 0xF)];
    }

    /** The recipient's time: due again (DEFERRED), due since (QUEUED) or the attempt's deadline (IN_FLIGHT). */
    long due(int recipient) {
        return slotOf(recipient) >>> 16;
    }

    int attempts(int recipient) {
        return (int) ((slotOf(recipient) >>> 6) & MAX_ATTEMPTS);
    }

    /** The last reply or reason recorded for the recipient, or "". */
    String lastReply(int recipient) {
        String[] replies = notes == null ? null : notes.lastReplies;
        return replies == null || replies[recipient] == null ? "" : replies[recipient];
    }

    /** Records {@code reply} as the recipient's last reply, for operators. */
    void lastReply(int recipient, String reply) {
        if (reply == null || reply.isEmpty()) {
            return;
        }
        Notes notes = notes();
        if (notes.lastReplies == null) {
            notes.lastReplies = new String[recipientCount()];
        }
        notes.lastReplies[recipient] = reply;
    }

    /** What recipient {@code recipient} last heard from a host, or null when it has not been tried without success. */
    Heard heard(int recipient) {
        return notes == null || notes.heard == null ? null : notes.heard[recipient];
    }

    /** Records what an attempt of {@code recipient} heard: kept for its notice, and stored with its next change. */
    void heard(int recipient, Heard reply) {
        Notes notes = notes();
        if (notes.heard == null) {
            notes.heard = new Heard[recipientCount()];
        }
        notes.heard[recipient] = reply;
    }

    /** Marks that a notice is owed for {@code recipient} (stored with its change, cleared once the notice is durably queued). */
    void owe(int recipient) {
        Notes notes = notes();
        if (notes.owed == null) {
            notes.owed = new BitSet(recipientCount());
        }
        notes.owed.set(recipient);
    }

    /** The notice for {@code recipient} is durably queued. */
    void paid(int recipient) {
        if (notes != null && notes.owed != null) {
            notes.owed.clear(recipient);
        }
    }

    boolean owes(int recipient) {
        return notes != null && notes.owed != null && notes.owed.get(recipient);
    }

    /** True while a notice is owed for any recipient: the message stays in the store until it is queued. */
    boolean owesNotice() {
        return notes != null && notes.owed != null && !notes.owed.isEmpty();
    }

    boolean delayNoticeSent() {
        return notes != null && notes.delayNoticeSent;
    }

    void delayNoticeSent(boolean sent) {
        if (sent || notes != null) {
            notes().delayNoticeSent = sent;
        }
    }

    /** What an operator sees of it now; the caller holds the message's monitor. */
    MessageSnapshot snapshot(int sizeBytes) {
        List<MessageSnapshot.Recipient> recipients = new ArrayList<>(recipientCount());
        for (int i = 0; i < recipientCount(); i++) {
            RecipientState state = state(i);
            long time = state == RecipientState.DEFERRED || state == RecipientState.QUEUED ? due(i) : 0;
            recipients.add(new MessageSnapshot.Recipient(recipient(i), queue(i).name(), state, time, attempts(i), lastReply(i)));
        }
        return new MessageSnapshot(id(), submitMillis(), expiryMillis(), reversePath, sizeBytes, List.copyOf(recipients));
    }

    /** When the message was accepted (a notice: when it was made). */
    public long submitMillis() {
        Notes apart = notes;
        return apart != null && apart.submitApart ? apart.submitMillis : idHigh >>> 16;
    }

    /** The operator's intent for a recipient in flight; NONE for any other state. */
    Intent intent(int recipient) {
        return INTENTS[(int) ((slotOf(recipient) >>> 4) & 0x3)];
    }

    /** Records {@code intent} for a recipient in flight, to be applied when its attempt ends. */
    void intend(int recipient, Intent intent) {
        require(recipient, RecipientState.IN_FLIGHT, "record an intent for");
        setSlot(recipient, (slotOf(recipient) & ~0x30L) | ((long) intent.ordinal() << 4));
    }

    TransferQueue queue(int recipient) {
        return queues instanceof TransferQueue shared ? shared : ((TransferQueue[]) queues)[recipient];
    }

    /** True when every recipient is in a terminal state: the message can leave the store. */
    boolean isFinished() {
        for (int i = 0; i < recipientCount(); i++) {
            if (!state(i).isTerminal()) {
                return false;
            }
        }
        return true;
    }

    /**
     * QUEUED to IN_FLIGHT, for an attempt that must end by {@code deadlineMillis}. Not
     * persisted: after a crash the recipient is simply due.
     */
    void takeInFlight(int recipient, long deadlineMillis) {
        require(recipient, RecipientState.QUEUED, "take in flight");
        setSlot(recipient, slot(RecipientState.IN_FLIGHT, deadlineMillis, attempts(recipient)));
    }

    /**
     * QUEUED or FROZEN back to IN_FLIGHT in the attempt with {@code deadlineMillis}: that
     * attempt's final answer came after the sweep had given it up, and before anyone tried the
     * recipient again, so the answer is kept (an operator's freeze meanwhile included).
     */
    void reclaim(int recipient, long deadlineMillis) {
        RecipientState state = state(recipient);
        if (state != RecipientState.QUEUED && state != RecipientState.FROZEN) {
            throw illegal(recipient, "reclaim");
        }
        setSlot(recipient, slot(RecipientState.IN_FLIGHT, deadlineMillis, attempts(recipient)));
    }

    /** True when the recipient is in flight in the attempt with {@code deadlineMillis}, not in a later one or repaired. */
    boolean inFlightUntil(int recipient, long deadlineMillis) {
        return state(recipient) == RecipientState.IN_FLIGHT && due(recipient) == deadlineMillis;
    }

    /**
     * IN_FLIGHT back to QUEUED, due since {@code nowMillis}, without counting an attempt: for an
     * attempt whose fate the sweep found lost (its connection already closed) or that never
     * reached the next hop. Not persisted: the store has it as due already.
     */
    void requeue(int recipient, long nowMillis) {
        require(recipient, RecipientState.IN_FLIGHT, "requeue");
        setSlot(recipient, slot(RecipientState.QUEUED, nowMillis, attempts(recipient)));
    }

    /** IN_FLIGHT to DELIVERED. */
    RecipientChange deliver(int recipient) {
        require(recipient, RecipientState.IN_FLIGHT, "deliver");
        countAttempt(recipient);
        return set(recipient, RecipientState.DELIVERED, 0);
    }

    /** IN_FLIGHT to BOUNCED, after a permanent failure. */
    RecipientChange bounce(int recipient) {
        require(recipient, RecipientState.IN_FLIGHT, "bounce");
        countAttempt(recipient);
        return set(recipient, RecipientState.BOUNCED, 0);
    }

    /** IN_FLIGHT to DEFERRED until {@code dueMillis}, after a temporary failure. */
    RecipientChange defer(int recipient, long dueMillis) {
        require(recipient, RecipientState.IN_FLIGHT, "defer");
        countAttempt(recipient);
        return set(recipient, RecipientState.DEFERRED, dueMillis);
    }

    /** QUEUED, IN_FLIGHT or DEFERRED to EXPIRED, once the message is past its expiry time. */
    RecipientChange expire(int recipient) {
        RecipientState state = state(recipient);
        if (state != RecipientState.QUEUED && state != RecipientState.IN_FLIGHT && state != RecipientState.DEFERRED) {
            throw illegal(recipient, "expire");
        }
        if (state == RecipientState.IN_FLIGHT) {
            countAttempt(recipient);
        }
        return set(recipient, RecipientState.EXPIRED, 0);
    }

    /** QUEUED stays QUEUED, due since {@code nowMillis}: the sweep offered it to its queue again. */
    void resetDue(int recipient, long nowMillis) {
        require(recipient, RecipientState.QUEUED, "reset the due time of");
        setSlot(recipient, slot(RecipientState.QUEUED, nowMillis, attempts(recipient)));
    }

    /** DEFERRED to QUEUED, due since {@code nowMillis}. Not persisted: a deferred recipient past its due time is due. */
    void merge(int recipient, long nowMillis) {
        require(recipient, RecipientState.DEFERRED, "merge");
        setSlot(recipient, slot(RecipientState.QUEUED, nowMillis, attempts(recipient)));
    }

    /** QUEUED or DEFERRED to FROZEN: held by an operator until unfrozen (it neither expires nor is attempted). */
    RecipientChange freeze(int recipient) {
        RecipientState state = state(recipient);
        if (state != RecipientState.QUEUED && state != RecipientState.DEFERRED && state != RecipientState.IN_FLIGHT) {
            throw illegal(recipient, "freeze");
        }
        return set(recipient, RecipientState.FROZEN, 0);
    }

    /** FROZEN to QUEUED, due since {@code nowMillis}: released by an operator. */
    RecipientChange unfreeze(int recipient, long nowMillis) {
        require(recipient, RecipientState.FROZEN, "unfreeze");
        setSlot(recipient, slot(RecipientState.QUEUED, nowMillis, attempts(recipient)));
        return new RecipientChange(recipient, new RecipientStatus(RecipientState.QUEUED, 0, attempts(recipient)));
    }

    /** Any state but a terminal one to DELETED: removed by an operator. */
    RecipientChange delete(int recipient) {
        if (state(recipient).isTerminal()) {
            throw illegal(recipient, "delete");
        }
        return set(recipient, RecipientState.DELETED, 0);
    }

    /** What the store must hold for this recipient now (IN_FLIGHT is stored as due): for rewriting a message whose update failed. */
    RecipientStatus status(int recipient) {
        RecipientState state = state(recipient);
        RecipientStatus status = switch (state) {
            case IN_FLIGHT -> new RecipientStatus(switch (intent(recipient)) {
                case FREEZE -> RecipientState.FROZEN;
                case DELETE, DELETE_WITH_NOTICE -> RecipientState.DELETED;
                case NONE -> RecipientState.QUEUED;
            }, 0, attempts(recipient));
            case QUEUED -> new RecipientStatus(RecipientState.QUEUED, 0, attempts(recipient));
            case DEFERRED -> new RecipientStatus(state, due(recipient), attempts(recipient));
            default -> new RecipientStatus(state, 0, attempts(recipient));
        };
        Heard last = heard(recipient);
        if (last != null) {
            int code = last.code() >= 100 && last.code() <= 599 ? last.code() : 0;
            String host = ReplyText.oneLine(last.host());
            status = status.withReply(code, last.reply(), host.length() > 255 ? host.substring(0, 255) : host)
                    .withLastAttempt(last.atMillis());
        }
        // A delete with a notice of a recipient in flight is stored as DELETED at once; should a crash cut the attempt off,
        // it counts as undelivered (as any attempt a crash cuts off), and so its notice is owed with it.
        boolean owed = owes(recipient) || (state == RecipientState.IN_FLIGHT && intent(recipient) == Intent.DELETE_WITH_NOTICE
                && !isNullSender());
        return owed ? status.withNoticePending(true) : status;
    }

    private RecipientChange set(int recipient, RecipientState state, long dueMillis) {
        setSlot(recipient, slot(state, dueMillis, attempts(recipient)));
        return new RecipientChange(recipient, new RecipientStatus(state, dueMillis, attempts(recipient)));
    }

    private void countAttempt(int recipient) {
        setSlot(recipient, slot(state(recipient), due(recipient), attempts(recipient) + 1));
    }

    private void require(int recipient, RecipientState from, String verb) {
        if (state(recipient) != from) {
            throw illegal(recipient, verb);
        }
    }

    private IllegalStateException illegal(int recipient, String verb) {
        return new IllegalStateException("cannot " + verb + " recipient " + recipient + " of message " + id()
                + ": it is " + state(recipient));
    }
}
