package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;

import java.util.ArrayList;
import java.util.List;

/**
 * A message in the queue: its envelope and, per recipient, state, due time, attempts and
 * transfer queue. Its content stays in the store.
 *
 * <p>Every change of a recipient's state is a verb here ({@link #takeInFlight},
 * {@link #deliver}, {@link #defer}, {@link #bounce}, {@link #expire}, {@link #merge},
 * {@link #requeue}) that checks the state it starts from and throws
 * {@link IllegalStateException} naming the current one, so an impossible transition fails
 * loudly instead of corrupting the queue. A verb whose result must survive a crash returns the
 * {@link RecipientChange} the caller persists before it lets go of the message's lock.
 *
 * <p>Threading: callers hold the message's monitor ({@code synchronized (message)}) around
 * verbs and reads of recipient state.
 */
public final class QueuedMessage {

    private final String id;
    private final long submitMillis;
    private final long expiryMillis;
    private final Envelope envelope;
    private final RecipientState[] states;
    private final long[] due;
    private final int[] attempts;
    private final TransferQueue[] queues;

    QueuedMessage(StoredMessage stored, TransferQueue[] queues) {
        this.id = stored.id();
        this.submitMillis = stored.submitMillis();
        this.expiryMillis = stored.expiryMillis();
        this.envelope = stored.envelope();
        int n = envelope.recipients().size();
        this.states = new RecipientState[n];
        this.due = new long[n];
        this.attempts = new int[n];
        this.queues = queues;
        for (int i = 0; i < n; i++) {
            RecipientStatus status = stored.statuses().get(i);
            states[i] = status.state();
            due[i] = status.dueMillis();
            attempts[i] = status.attempts();
        }
    }

    public String id() {
        return id;
    }

    public long submitMillis() {
        return submitMillis;
    }

    public long expiryMillis() {
        return expiryMillis;
    }

    public Envelope envelope() {
        return envelope;
    }

    int recipientCount() {
        return states.length;
    }

    RecipientState state(int recipient) {
        return states[recipient];
    }

    long due(int recipient) {
        return due[recipient];
    }

    int attempts(int recipient) {
        return attempts[recipient];
    }

    TransferQueue queue(int recipient) {
        return queues[recipient];
    }

    /** True when every recipient is in a terminal state: the message can leave the store. */
    boolean isFinished() {
        for (RecipientState state : states) {
            if (!state.isTerminal()) {
                return false;
            }
        }
        return true;
    }

    /** QUEUED to IN_FLIGHT, for an attempt on a connection. Not persisted: after a crash the recipient is simply due. */
    void takeInFlight(int recipient) {
        require(recipient, RecipientState.QUEUED, "take in flight");
        states[recipient] = RecipientState.IN_FLIGHT;
    }

    /** IN_FLIGHT back to QUEUED, for an attempt that never reached the network. Not persisted. */
    void requeue(int recipient) {
        require(recipient, RecipientState.IN_FLIGHT, "requeue");
        states[recipient] = RecipientState.QUEUED;
    }

    /** IN_FLIGHT to DELIVERED. */
    RecipientChange deliver(int recipient) {
        require(recipient, RecipientState.IN_FLIGHT, "deliver");
        attempts[recipient]++;
        return set(recipient, RecipientState.DELIVERED, 0);
    }

    /** IN_FLIGHT to BOUNCED, after a permanent failure. */
    RecipientChange bounce(int recipient) {
        require(recipient, RecipientState.IN_FLIGHT, "bounce");
        attempts[recipient]++;
        return set(recipient, RecipientState.BOUNCED, 0);
    }

    /** IN_FLIGHT to DEFERRED until {@code dueMillis}, after a temporary failure. */
    RecipientChange defer(int recipient, long dueMillis) {
        require(recipient, RecipientState.IN_FLIGHT, "defer");
        attempts[recipient]++;
        return set(recipient, RecipientState.DEFERRED, dueMillis);
    }

    /** QUEUED, IN_FLIGHT or DEFERRED to EXPIRED, once the message is past its expiry time. */
    RecipientChange expire(int recipient) {
        RecipientState state = states[recipient];
        if (state != RecipientState.QUEUED && state != RecipientState.IN_FLIGHT && state != RecipientState.DEFERRED) {
            throw illegal(recipient, "expire");
        }
        if (state == RecipientState.IN_FLIGHT) {
            attempts[recipient]++;
        }
        return set(recipient, RecipientState.EXPIRED, 0);
    }

    /** DEFERRED to QUEUED, when its due time has come. Not persisted: a deferred recipient past its due time is due. */
    void merge(int recipient) {
        require(recipient, RecipientState.DEFERRED, "merge");
        states[recipient] = RecipientState.QUEUED;
        due[recipient] = 0;
    }

    /** The store's view of every recipient, for a new message. */
    List<RecipientStatus> statuses() {
        List<RecipientStatus> statuses = new ArrayList<>(states.length);
        for (int i = 0; i < states.length; i++) {
            statuses.add(new RecipientStatus(states[i], due[i], attempts[i]));
        }
        return statuses;
    }

    private RecipientChange set(int recipient, RecipientState state, long dueMillis) {
        states[recipient] = state;
        due[recipient] = dueMillis;
        return new RecipientChange(recipient, new RecipientStatus(state, dueMillis, attempts[recipient]));
    }

    private void require(int recipient, RecipientState from, String verb) {
        if (states[recipient] != from) {
            throw illegal(recipient, verb);
        }
    }

    private IllegalStateException illegal(int recipient, String verb) {
        return new IllegalStateException("cannot " + verb + " recipient " + recipient + " of message " + id
                + ": it is " + states[recipient]);
    }
}
