package dev.outbox.management;

import dev.outbox.api.RecipientState;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.MessageSnapshot;
import dev.outbox.queue.RetrySchedule;

import java.time.Duration;

/**
 * {@link QueueManagerMXBean} over the queue engine: each attribute reads a counter the engine
 * keeps (OverdueRecipients walks the live messages in memory), each operation is one engine call.
 *
 * <p>Misuse: an unknown message id fails with {@link IllegalArgumentException} naming it.
 * Thread-safe, as the engine is.
 */
final class QueueManagerBean implements QueueManagerMXBean {

    /** The largest header section getMessage shows. */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private final MailQueue queue;
    private final String retrySchedule;
    private final String maxMessageAge;

    QueueManagerBean(MailQueue queue, RetrySchedule retrySchedule, Duration maxMessageAge) {
        this.queue = queue;
        this.retrySchedule = retrySchedule.toString();
        this.maxMessageAge = RetrySchedule.DurationText.format(maxMessageAge);
    }

    @Override
    public long getQueued() {
        return queue.recipientsIn(RecipientState.QUEUED);
    }

    @Override
    public long getInFlight() {
        return queue.recipientsIn(RecipientState.IN_FLIGHT);
    }

    @Override
    public long getDeferred() {
        return queue.recipientsIn(RecipientState.DEFERRED);
    }

    @Override
    public long getFrozen() {
        return queue.recipientsIn(RecipientState.FROZEN);
    }

    @Override
    public long getDelivered() {
        return queue.deliveredCount();
    }

    @Override
    public long getBounced() {
        return queue.bouncedCount();
    }

    @Override
    public long getExpired() {
        return queue.expiredCount();
    }

    @Override
    public long getDeleted() {
        return queue.deletedCount();
    }

    @Override
    public long getBounceNotices() {
        return queue.bounceNoticeCount();
    }

    @Override
    public long getDelayNotices() {
        return queue.delayNoticeCount();
    }

    @Override
    public long getNoticesWithheld() {
        return queue.noticesWithheldCount();
    }

    @Override
    public long getDeferrals() {
        return queue.deferredCount();
    }

    @Override
    public long getStuckRecovered() {
        return queue.stuckRecovered();
    }

    @Override
    public int getOverdueRecipients() {
        return queue.overdueRecipients();
    }

    @Override
    public int getMessageCount() {
        return queue.messageCount();
    }

    @Override
    public long getStoreSizeBytes() {
        return queue.storeSizeBytes();
    }

    @Override
    public boolean isPaused() {
        return queue.paused();
    }

    @Override
    public String getRetrySchedule() {
        return retrySchedule;
    }

    @Override
    public String getMaxMessageAge() {
        return maxMessageAge;
    }

    @Override
    public void pause() {
        queue.pause();
    }

    @Override
    public void resume() {
        queue.resume();
    }

    @Override
    public int retryAll() {
        return queue.retryAll();
    }

    @Override
    public MessageSummary[] findMessages(String query, int offset, int limit) {
        return Views.summaries(queue.findMessages(null, query, offset, limit));
    }

    @Override
    public MessageDetail getMessage(String id) {
        MessageSnapshot message = queue.findMessage(id);
        if (message == null) {
            throw new IllegalArgumentException("no queued message has id \"" + id + "\" (it may be finished already)");
        }
        return Views.detail(message, queue.messageHeaders(id, MAX_HEADER_BYTES));
    }

    @Override
    public int freezeMessage(String id) {
        return queue.freezeMessage(id);
    }

    @Override
    public int unfreezeMessage(String id) {
        return queue.unfreezeMessage(id);
    }

    @Override
    public int deleteMessage(String id, boolean withNdr) {
        return queue.deleteMessage(id, withNdr);
    }

    @Override
    public int resubmitMessage(String id) {
        // Each attempt routes afresh (the domain's MX hosts are looked up at each connect, past their
        // TTL), so making the recipients due now is routing them again.
        return queue.retryMessage(id);
    }
}
