package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.MessageStore;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoreException;
import dev.outbox.store.StoredMessage;

import java.time.Clock;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The notices Outbox owes senders, made into messages of the queue exactly once: a bounce for
 * recipients that failed (bounced, expired, or deleted with a notice), and one delay notice a
 * message for recipients still undelivered {@code delayAfter} after submit.
 *
 * <p>Exactly once, across crashes: a recipient that fails is marked "notice owed" in the same
 * store write that finishes it. The notice is then composed and added to the store under a queue
 * id made from the original's id and the recipients it covers ({@code <id>-n0.2-4}), the marks
 * are cleared, and only then is the notice let out for delivery. After a crash, a mark whose
 * notice is already stored is cleared, not composed again ({@link #covered}); a notice is never
 * delivered while a mark that it pays is still on disk. The delay notice's id is
 * {@code <id>-d} and its mark, once set, is never cleared.
 *
 * <p>Never a notice about a notice: a message with a null reverse path that fails is logged and
 * counted in {@link #withheldCount()}, nothing more; notices themselves have one.
 *
 * <p>Delay notices cost no memory per message: {@link RecipientLedger} walks its list of live
 * messages, which is in the order they were admitted (submit order), from where its last walk
 * stopped, up to the first message whose time has not come; each message is looked at once.
 *
 * <p>Threading: {@link #queueBounces} and {@link #queueDelay} are called with the original
 * message's lock held (by {@link RecipientLedger}); the delay watch has its own lock.
 */
final class SenderNotices {

    private static final Logger LOG = Logger.getLogger(SenderNotices.class.getName());

    /** Longest list of covered recipients in a notice's id; more recipients are reported in further notices. */
    static final int MAX_COVER_CHARS = 500;
    private static final int ID_LENGTH = 26;
    private static final String BOUNCE = "-n";
    private static final String DELAY = "-d";

    private final MessageStore store;
    private final NoticeComposer composer;
    private final Clock clock;
    private final long delayAfterMillis;
    private final long maxAgeMillis;

    private final LongAdder bounces = new LongAdder();
    private final LongAdder delays = new LongAdder();
    private final LongAdder withheld = new LongAdder();


    /**
     * @param composer        writes the notices; null sends none (failures are only logged)
     * @param delayAfterMillis a delay notice once a recipient is undelivered this long after submit; 0 for none
     * @param maxAgeMillis     how long a notice itself is tried before it expires (quietly: it has a null sender)
     */
    SenderNotices(MessageStore store, NoticeComposer composer, Clock clock, long delayAfterMillis, long maxAgeMillis) {
        this.store = store;
        this.composer = composer;
        this.clock = clock;
        this.delayAfterMillis = delayAfterMillis;
        this.maxAgeMillis = maxAgeMillis;
    }

    /** No notices at all: what a queue without a composer does. */
    static SenderNotices none(MessageStore store, Clock clock) {
        return new SenderNotices(store, null, clock, 0, 0);
    }

    /** True when a failed recipient of {@code message} is owed a notice: notices are on and it has a sender. */
    boolean owedFor(QueuedMessage message) {
        return composer != null && !message.isNullSender();
    }

    /** A recipient of a message with a null reverse path failed: no notice goes back for it (RFC 3464 section 2). */
    void withhold(QueuedMessage message, int recipient) {
        if (message.isNullSender()) {
            withheld.increment();
            LOG.info(() -> "Outbox sends no notice for recipient " + message.recipient(recipient) + " of message "
                    + message.id() + ": it has a null reverse path (a notice about a notice, or mail that asks for none)");
        }
    }

    /**
     * Composes and durably queues the bounces owed for {@code message} (whose lock the caller
     * holds), and clears the marks of the recipients they cover. Returns the notices queued, to be
     * let out once the cleared marks are on disk; fewer (or none) when the store refused one,
     * whose recipients stay marked for the next sweep.
     */
    List<Stored> queueBounces(QueuedMessage message) {
        List<Stored> queued = new ArrayList<>(1);
        if (!owedFor(message)) {
            return queued;
        }
        long now = clock.millis();
        byte[] original = null;
        for (List<Integer> group : groups(message)) {
            String id = message.id() + BOUNCE + cover(group);
            List<Notice.Recipient> reported = new ArrayList<>(group.size());
            for (int i : group) {
                reported.add(reported(message, i));
            }
            Notice notice = new Notice(Notice.Kind.FAILED, message.id(), message.reversePath(), message.submitMillis(),
                    message.expiryMillis(), reported);
            try {
                if (original == null) {
                    original = originalContent(message);
                }
                queued.add(add(id, notice, original, now));
            } catch (QueueFullException | RuntimeException e) { // a full or failing store, or a notice that could not be written
                LOG.log(Level.WARNING, "Outbox could not queue the bounce about message " + message.id() + " for its sender "
                        + message.reversePath() + "; the sweep tries again", e);
                return queued;
            }
            for (int i : group) {
                message.paid(i);
            }
            bounces.increment();
            LOG.info(() -> "Outbox queued bounce " + id + " to " + message.reversePath() + " for " + group.size()
                    + " recipients of message " + message.id());
        }
        return queued;
    }

    /**
     * Composes and durably queues the delay notice of {@code message} (lock held) for its
     * unfinished recipients. Returns it, or null when the store refused it (the caller tries
     * again at the next sweep).
     */
    Stored queueDelay(QueuedMessage message, List<Integer> undelivered) {
        List<Notice.Recipient> reported = new ArrayList<>(undelivered.size());
        for (int i : undelivered) {
            reported.add(reported(message, i));
        }
        Notice notice = new Notice(Notice.Kind.DELAYED, message.id(), message.reversePath(), message.submitMillis(),
                message.expiryMillis(), reported);
        try {
            Stored queued = add(message.id() + DELAY, notice, originalContent(message), clock.millis());
            delays.increment();
            LOG.info(() -> "Outbox queued delay notice " + queued.id() + " to " + message.reversePath() + " for "
                    + undelivered.size() + " recipients of message " + message.id());
            return queued;
        } catch (QueueFullException | RuntimeException e) { // a full or failing store, or a notice that could not be written
            LOG.log(Level.WARNING, "Outbox could not queue the delay notice about message " + message.id()
                    + "; the sweep tries again", e);
            return null;
        }
    }

    /**
     * The content of {@code message} for its notice to return, or nothing when the store cannot
     * read it (a damaged disk): the notice then goes without the original's header, since a
     * message that cannot be read would otherwise owe its notice for ever.
     */
    private byte[] originalContent(QueuedMessage message) {
        try {
            return store.content(message);
        } catch (StoreException e) {
            LOG.log(Level.WARNING, "Outbox cannot read message " + message.id() + " for its notice; the notice goes without"
                    + " the original's header", e);
            return new byte[0];
        }
    }

    private Stored add(String id, Notice notice, byte[] original, long now) throws QueueFullException {
        byte[] content = composer.compose(notice, original);
        StoredMessage stored = new StoredMessage(id, now, now + maxAgeMillis, Envelope.of("", List.of(notice.envelopeSender())),
                List.of(RecipientStatus.QUEUED));
        // Past the store's size limit: the original it reports leaves once it is stored.
        return new Stored(stored, store.addNotice(stored, content));
    }

    /** What a notice says of recipient {@code i}: a failure's own reason for a deletion, else the last reply heard. */
    private static Notice.Recipient reported(QueuedMessage message, int i) {
        RecipientState state = message.state(i);
        String address = message.recipient(i);
        QueuedMessage.Heard heard = message.heard(i);
        if (heard == null || state == RecipientState.DELETED) {
            String reason = message.lastReply(i).isEmpty() && state == RecipientState.DELETED ? "deleted by an operator" : message.lastReply(i);
            return new Notice.Recipient(address, state, 0, reason, "", heard == null ? 0 : heard.atMillis());
        }
        return new Notice.Recipient(address, state, heard.code(), heard.reply(), heard.host(), heard.atMillis());
    }

    /** The owed recipients in groups whose written cover fits {@link #MAX_COVER_CHARS}. */
    private static List<List<Integer>> groups(QueuedMessage message) {
        List<List<Integer>> groups = new ArrayList<>(1);
        List<Integer> group = new ArrayList<>();
        for (int i = 0; i < message.recipientCount(); i++) {
            if (!message.owes(i)) {
                continue;
            }
            group.add(i);
            if (cover(group).length() > MAX_COVER_CHARS) {
                group.remove(group.size() - 1);
                groups.add(group);
                group = new ArrayList<>();
                group.add(i);
            }
        }
        if (!group.isEmpty()) {
            groups.add(group);
        }
        return groups;
    }

    /** Ascending recipient indexes written as runs: 0.2-4.7. */
    static String cover(List<Integer> ascending) {
        StringBuilder text = new StringBuilder();
        for (int k = 0; k < ascending.size(); ) {
            int start = ascending.get(k);
            int end = start;
            while (k + 1 < ascending.size() && ascending.get(k + 1) == end + 1) {
                end = ascending.get(++k);
            }
            k++;
            if (!text.isEmpty()) {
                text.append('.');
            }
            text.append(start);
            if (end > start) {
                text.append('-').append(end);
            }
        }
        return text.toString();
    }

    /** The queue id of the message that notice {@code id} is about, or null when {@code id} is no notice's. */
    static String originalOf(String id) {
        if (id.length() > ID_LENGTH + 2 && id.startsWith(BOUNCE, ID_LENGTH)) {
            return id.substring(0, ID_LENGTH);
        }
        if (id.length() == ID_LENGTH + 2 && id.startsWith(DELAY, ID_LENGTH)) {
            return id.substring(0, ID_LENGTH);
        }
        return null;
    }

    static boolean isDelayNotice(String id) {
        return originalOf(id) != null && id.length() == ID_LENGTH + 2 && id.startsWith(DELAY, ID_LENGTH);
    }

    /** The recipients bounce notice {@code id} covers; empty for a delay notice or an id that is no notice's. */
    static BitSet covered(String id) {
        BitSet covered = new BitSet();
        if (originalOf(id) == null || isDelayNotice(id)) {
            return covered;
        }
        try {
            for (String run : id.substring(ID_LENGTH + BOUNCE.length()).split("\\.")) {
                int dash = run.indexOf('-');
                int start = Integer.parseInt(dash < 0 ? run : run.substring(0, dash));
                int end = dash < 0 ? start : Integer.parseInt(run.substring(dash + 1));
                covered.set(start, end + 1);
            }
        } catch (NumberFormatException | IndexOutOfBoundsException e) {
            LOG.warning(() -> "Outbox found a notice with an unreadable queue id \"" + ReplyText.oneLine(id) + "\"");
            return new BitSet();
        }
        return covered;
    }

    /** True when {@code message}, submitted at or before {@code now} less the delay-notice time, may be owed a delay notice. */
    boolean delayDue(QueuedMessage message, long now) {
        return delayAfterMillis > 0 && message.submitMillis() + delayAfterMillis <= now;
    }

    /** True when delay notices are sent at all. */
    boolean delayNotices() {
        return delayAfterMillis > 0 && composer != null;
    }

    /** Bounce notices durably queued since start. */
    long bounceCount() {
        return bounces.sum();
    }

    /** Delay notices durably queued since start. */
    long delayCount() {
        return delays.sum();
    }

    /** Failed recipients of messages with a null reverse path, for which no notice is sent. */
    long withheldCount() {
        return withheld.sum();
    }
}
