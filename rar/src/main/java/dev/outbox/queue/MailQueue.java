package dev.outbox.queue;

import dev.outbox.api.OutboxException;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The queue engine: accepts submissions, routes every recipient to its next hop and hands the
 * message to delivery on the adapter's threads.
 *
 * <p>This first cut keeps accepted messages in memory and attempts each once, at the
 * configured smarthost; the persistent store, transfer queues per next hop, retry and bounce
 * replace those parts behind the same {@link #submit} contract.
 *
 * <p>Operations: {@link #submit} returns the queue id once the message is accepted; delivery
 * follows on {@code dispatcher}. {@link #stop} refuses further submits. Threading: every
 * method is safe from any thread. Misuse: submit after stop throws {@link OutboxException}.
 */
public final class MailQueue {

    private static final Logger LOG = Logger.getLogger(MailQueue.class.getName());

    private final QueueIds ids;
    private final NextHop smarthost;
    private final Deliverer deliverer;
    private final Executor dispatcher;
    private final Map<String, Submission> pending = new ConcurrentHashMap<>();
    private final LongAdder delivered = new LongAdder();
    private final LongAdder undelivered = new LongAdder();
    private volatile boolean accepting = true;

    public MailQueue(Clock clock, NextHop smarthost, Deliverer deliverer, Executor dispatcher) {
        this.ids = new QueueIds(clock);
        this.smarthost = smarthost;
        this.deliverer = deliverer;
        this.dispatcher = dispatcher;
    }

    /** Accepts {@code submission} and returns its queue id; delivery happens later. */
    public String submit(Submission submission) throws OutboxException {
        if (!accepting) {
            throw new OutboxException("Outbox is stopped and accepts no messages");
        }
        String id = ids.next();
        pending.put(id, submission);
        try {
            dispatcher.execute(() -> attempt(id));
        } catch (RejectedExecutionException e) {
            pending.remove(id);
            throw new OutboxException("message " + id + " not queued: no delivery thread could be had (" + e.getMessage() + ")", e);
        }
        return id;
    }

    /** Refuses every later submit. Messages already accepted keep their delivery attempt. */
    public void stop() {
        accepting = false;
    }

    /** Messages accepted whose delivery attempt has not ended yet. */
    public int pendingCount() {
        return pending.size();
    }

    /** Recipients the next hop accepted, since start. */
    public long deliveredCount() {
        return delivered.sum();
    }

    /** Recipients whose attempt failed or was deferred, since start. */
    public long undeliveredCount() {
        return undelivered.sum();
    }

    private void attempt(String id) {
        Submission submission = pending.get(id);
        try {
            List<RecipientOutcome> outcomes = deliverer.deliver(smarthost, id, submission.envelope(), submission.content().bytes());
            for (RecipientOutcome outcome : outcomes) {
                if (outcome.status() == RecipientOutcome.Status.DELIVERED) {
                    delivered.increment();
                    LOG.fine(() -> "message " + id + " delivered to " + outcome.recipient() + " via " + smarthost);
                } else {
                    undelivered.increment();
                    LOG.warning(() -> "message " + id + " not delivered to " + outcome.recipient() + " via " + smarthost
                            + ": " + outcome.status() + " " + outcome.reply());
                }
            }
        } catch (RuntimeException e) {
            undelivered.add(submission.envelope().recipients().size());
            LOG.log(Level.SEVERE, "delivery of message " + id + " via " + smarthost + " failed unexpectedly", e);
        } finally {
            pending.remove(id);
        }
    }
}
