package dev.outbox.queue;

import dev.outbox.store.StoreException;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One connection's life, on a thread of its own: takes its first message from the transfer
 * queue before it connects (so no connection is opened for nothing), then carries ready
 * messages until none is left, the per-connection limit is reached, the queue is stopping,
 * or the connection breaks.
 *
 * <p>Every attempt it takes ends in exactly one {@link RecipientLedger#apply} or
 * {@link RecipientLedger#requeue}, whatever is thrown; and it always reports its end to the
 * {@link MailQueue}, which frees its connection slot. Every attempt has a deadline; the
 * connection enforces it by closing its socket, and {@link #abort} closes it at once (the
 * queue's stop, and the sweep when an attempt is past its deadline).
 *
 * <p>A message's outcome is recorded (a durable write, group-committed with other connections')
 * while the next message's first commands are on their way and their replies not yet back, so
 * the write overlaps a round trip instead of adding its own wait; it is always recorded before
 * that next message's data goes out, so a crash leaves at most one message a connection in doubt,
 * as when each was recorded before the next was taken.
 *
 * <p>Threading: {@link #run} on its own thread; {@link #abort} and {@link #abortIfCarrying}
 * from any thread.
 */
final class DeliveryAgent implements Runnable {

    private static final Logger LOG = Logger.getLogger(DeliveryAgent.class.getName());

    private final MailQueue mailQueue;
    private final TransferQueue queue;
    private final RecipientLedger ledger;
    /** Closes this agent's connection, from the moment it starts connecting. */
    private final Abort abort = new Abort();
    /** The attempt taken in flight whose outcomes are not known yet. */
    private final AtomicReference<Attempt> current = new AtomicReference<>();
    /**
     * Outcomes known and not yet recorded, or recording when it failed: set by the agent's thread;
     * the sweep and stop record them from theirs ({@link #recordIfAnswered}) rather than requeue
     * recipients whose answer is known.
     */
    private final AtomicReference<Settlement> pending = new AtomicReference<>();

    DeliveryAgent(MailQueue mailQueue, TransferQueue queue) {
        this.mailQueue = mailQueue;
        this.queue = queue;
        this.ledger = mailQueue.ledger;
    }

    @Override
    public void run() {
        boolean started = false;
        try {
            if (mailQueue.stopping) {
                return;
            }
            started = true;
            Attempt attempt = next(true);
            if (attempt == null) {
                return;
            }
            Deliverer.Connection open = connect(attempt);
            if (open == null) {
                return;
            }
            LOG.fine(() -> "Outbox connected to " + queue.name() + ": " + open.tlsDescription());
            try (open) {
                int sent = 0;
                Settlement previous = null; // the message sent before, recorded while this one's first commands are on their way
                while (attempt != null) {
                    Settlement settlement = deliver(open, attempt, previous);
                    previous = null;
                    pending.set(settlement);
                    boolean more = !open.isBroken() && ++sent < mailQueue.policy.messagesPerConnectionFor(queue) && mayTakeMore();
                    attempt = more ? next(false) : null;
                    if (attempt == null) {
                        settlement.run();
                    } else {
                        previous = settlement;
                    }
                }
            }
        } catch (Throwable t) {
            LOG.log(Level.SEVERE, "Outbox delivery to " + queue.name() + " failed unexpectedly", t);
            settleAfter(t);
        } finally {
            mailQueue.ended(this, queue, !started);
            mailQueue.afterConnection(queue);
        }
    }

    /** The next ready message with recipients due here, taken in flight; null when none is left. */
    private Attempt next(boolean first) {
        boolean firstPoll = first;
        while (true) {
            long now = mailQueue.clock.millis();
            QueuedMessage message = queue.pollReady(now, firstPoll);
            firstPoll = false;
            if (message == null) {
                return null;
            }
            Attempt attempt = ledger.take(queue, message, now, now + mailQueue.policy.attemptTimeout().toMillis());
            if (attempt != null) {
                current.set(attempt);
                return attempt;
            }
            // a stale entry: delivered, deferred or expired meanwhile
        }
    }

    /** Opens the connection for {@code attempt}, or puts it back (the queue in RETRY) and returns null. */
    private Deliverer.Connection connect(Attempt attempt) {
        if (mailQueue.stopping || abort.fired()) {
            ledger.requeue(attempt, mailQueue.clock.millis());
            current.set(null);
            return null;
        }
        try {
            return mailQueue.deliverer.connect(queue.destination(), budget(attempt), abort);
        } catch (Deliverer.ConnectFailedException e) {
            current.set(null);
            if (e.isPermanent() && !abort.fired()) {
                bounceReady(attempt, e);
                return null;
            }
            // Nothing reached the next hop: the message waits at the head of the ready queue for the queue's retry time.
            if (!abort.fired()) { // closed by stop or the sweep, not by the next hop
                mailQueue.enterRetry(queue, e.getMessage());
            }
            ledger.requeue(attempt, mailQueue.clock.millis());
            mailQueue.arm(queue);
            return null;
        }
    }

    /**
     * The destination can never take mail (its domain does not exist, or says by a null MX that
     * it takes none): {@code first}'s recipients bounce with the reason, and so do those of every
     * message ready here now, without waiting for a retry that cannot succeed.
     */
    private void bounceReady(Attempt first, Deliverer.ConnectFailedException e) {
        Attempt attempt = first;
        while (attempt != null) {
            settle(attempt, RecipientOutcome.all(attempt.addresses(), RecipientOutcome.Status.FAILED, e.bounceCode(), e.getMessage()), 0);
            if (!mayTakeMore()) {
                return; // as after a message sent: held mail stays held
            }
            attempt = next(false);
        }
    }

    /** False once the queue stops, an operator pauses it, or this connection is aborted: take no further message. */
    private boolean mayTakeMore() {
        return !mailQueue.stopping && !mailQueue.paused() && !abort.fired();
    }

    /**
     * Sends one attempt on {@code open}, recording {@code previous} (when not null) meanwhile, and
     * returns the attempt's settlement, which the caller runs: before the next message's data goes
     * out, or at once when no message follows.
     */
    private Settlement deliver(Deliverer.Connection open, Attempt attempt, Settlement previous) {
        Runnable meanwhile = previous != null ? previous : () -> {
        };
        List<RecipientOutcome> outcomes;
        try {
            byte[] content = mailQueue.store.content(attempt.message());
            outcomes = open.send(attempt.envelope(), content, budget(attempt), meanwhile);
        } catch (StoreException e) {
            meanwhile.run();
            LOG.log(Level.SEVERE, "Outbox could not read message " + attempt.message().id() + " from the store; it is deferred", e);
            return new Settlement(attempt, RecipientOutcome.all(attempt.addresses(), RecipientOutcome.Status.DEFERRED, 0, "not sent: " + e),
                    0, "", false);
        }
        long retryAt = 0;
        boolean leftRetry = false;
        if (abort.fired()) {
            // Closed by stop or by the sweep, not by the next hop: no reason to hold the queue.
        } else if (open.isBroken()) {
            retryAt = mailQueue.enterRetry(queue, reason(outcomes));
        } else {
            leftRetry = queue.succeeded(mailQueue.clock.millis());
        }
        return new Settlement(attempt, outcomes, retryAt, open.remoteHost(), leftRetry);
    }

    /**
     * An attempt's outcomes, known and not yet recorded: recorded at the first {@link #run}, by
     * the agent's thread. Between the answer and the record the recipients stay in flight, so a
     * crash there leaves them to be sent again, as for any message in flight; the agent sends
     * no further data before it runs.
     */
    private final class Settlement implements Runnable {
        private final Attempt attempt;
        private final List<RecipientOutcome> outcomes;
        private final long retryAtMillis;
        private final String remoteHost;
        private final boolean leftRetry;
        /** Under this settlement's lock: the record began; it ended (else it threw). */
        private boolean started;
        private boolean done;

        Settlement(Attempt attempt, List<RecipientOutcome> outcomes, long retryAtMillis, String remoteHost, boolean leftRetry) {
            this.attempt = attempt;
            this.outcomes = outcomes;
            this.retryAtMillis = retryAtMillis;
            this.remoteHost = remoteHost;
            this.leftRetry = leftRetry;
        }

        /**
         * Records the outcomes, once, on whichever thread comes first (the agent's, or the sweep's or
         * stop's); a second caller waits until the record is made, and throws if it failed, so the
         * agent never sends the next message's data before this record.
         */
        @Override
        public void run() {
            synchronized (this) {
                if (started) {
                    if (!done) {
                        throw new IllegalStateException("recording message " + attempt.message().id() + " failed");
                    }
                    return;
                }
                started = true;
                settle(attempt, outcomes, retryAtMillis, remoteHost);
                done = true;
                pending.compareAndSet(this, null);
            }
            if (leftRetry) { // outside the lock: a busy executor may hold this call, and the record is what others wait for
                mailQueue.dispatch(queue); // the queue left RETRY: the other connections may open again
            }
        }
    }

    /**
     * After an unexpected failure nothing may stay in flight: the outcomes already known are
     * recorded (a delivered recipient must not be sent again), unless recording them was what
     * failed; what is left unsettled is deferred with the queue in RETRY.
     */
    private void settleAfter(Throwable t) {
        Settlement known = pending.getAndSet(null);
        if (known != null) {
            boolean failedBefore;
            synchronized (known) {
                failedBefore = known.started && !known.done;
            }
            if (failedBefore) {
                defer(known.attempt, t); // its record is what failed
            } else {
                try {
                    known.run();
                } catch (Throwable again) {
                    t.addSuppressed(again);
                    defer(known.attempt, t);
                }
            }
        }
        Attempt unsettled = current.get();
        if (unsettled != null) {
            defer(unsettled, t);
        }
    }

    private void defer(Attempt attempt, Throwable t) {
        settle(attempt, RecipientOutcome.all(attempt.addresses(), RecipientOutcome.Status.DEFERRED, 0, "internal error: " + t),
                mailQueue.enterRetry(queue, "internal error: " + t));
    }

    private void settle(Attempt attempt, List<RecipientOutcome> outcomes, long retryAtMillis) {
        settle(attempt, outcomes, retryAtMillis, "");
    }

    /** Records {@code outcomes}, whose replies came from {@code remoteHost} ("" when no host answered), and arms the timer. */
    private void settle(Attempt attempt, List<RecipientOutcome> outcomes, long retryAtMillis, String remoteHost) {
        current.compareAndSet(attempt, null); // else the next message is on the wire already, and stays current
        ledger.apply(attempt, outcomes, mailQueue.clock.millis(), retryAtMillis, remoteHost);
        mailQueue.arm(queue);
    }

    /** What is left of the attempt's time, as the connection's budget. */
    private Duration budget(Attempt attempt) {
        return Duration.ofMillis(Math.max(1, attempt.deadlineMillis() - mailQueue.clock.millis()));
    }

    private static String reason(List<RecipientOutcome> outcomes) {
        for (RecipientOutcome outcome : outcomes) {
            if (outcome.status() != RecipientOutcome.Status.DELIVERED) {
                return outcome.replyCode() > 0 ? outcome.reply() : outcome.reply().isEmpty() ? "connection lost" : outcome.reply();
            }
        }
        return "connection lost";
    }

    /** Closes the connection now; the attempt in progress ends as on a broken connection and is settled by the agent's thread. */
    void abort() {
        abort.fire();
    }

    /** {@link #abort} if the attempt in progress is the one with {@code deadlineMillis} that carries {@code recipient} of {@code message}. */
    void abortIfCarrying(QueuedMessage message, int recipient, long deadlineMillis) {
        if (carries(current.get(), message, recipient, deadlineMillis)) {
            abort();
        }
    }

    /**
     * If the server has answered the attempt with {@code deadlineMillis} that carries {@code recipient}
     * of {@code message} and this agent has not recorded it yet (it records it during the next
     * message's first round trip), records it now, on the caller's thread, and returns true: the
     * recipient is not stuck, and requeueing it would send it again. For the sweep and stop.
     */
    boolean recordIfAnswered(QueuedMessage message, int recipient, long deadlineMillis) {
        Settlement known = pending.get();
        if (known == null || !carries(known.attempt, message, recipient, deadlineMillis)) {
            return false;
        }
        record(known);
        return true;
    }

    /** Records what this agent knows and has not recorded yet (see {@link #recordIfAnswered}); for stop. */
    void recordAnswered() {
        Settlement known = pending.get();
        if (known != null) {
            record(known);
        }
    }

    /** Runs {@code known} on the caller's thread (sweep or stop), which logs a failure rather than throw it. */
    private static void record(Settlement known) {
        try {
            known.run();
        } catch (RuntimeException | Error e) {
            LOG.log(Level.SEVERE, "Outbox could not record the answered attempt of message " + known.attempt.message().id(), e);
        }
    }

    private static boolean carries(Attempt attempt, QueuedMessage message, int recipient, long deadlineMillis) {
        if (attempt != null && attempt.message() == message && attempt.deadlineMillis() == deadlineMillis) {
            for (int taken : attempt.recipients()) {
                if (taken == recipient) {
                    return true;
                }
            }
        }
        return false;
    }
}
