package dev.outbox.management;

import dev.outbox.queue.MailQueue;
import dev.outbox.queue.TransferQueue;

import java.time.Clock;

/**
 * {@link QueueMXBean} over one {@link TransferQueue}: state, times and message figures read from
 * the queue (kept by every transition), the oldest message's age from a walk that stops at the
 * first of this queue's messages, each operation one engine call.
 * Thread-safe, as the engine is.
 */
final class QueueBean implements QueueMXBean {

    private final MailQueue engine;
    private final TransferQueue queue;
    private final Clock clock;

    QueueBean(MailQueue engine, TransferQueue queue, Clock clock) {
        this.engine = engine;
        this.queue = queue;
        this.clock = clock;
    }

    @Override
    public String getDestination() {
        return queue.name();
    }

    @Override
    public String getState() {
        return queue.state(clock.millis()).name();
    }

    @Override
    public int getMessageCount() {
        return queue.messageCount();
    }

    @Override
    public long getSizeBytes() {
        return queue.sizeBytes();
    }

    @Override
    public long getOldestMessageAgeSeconds() {
        long oldest = engine.figures(queue.name()).oldestSubmitMillis();
        return oldest == 0 ? 0 : Math.max(0, (clock.millis() - oldest) / 1000);
    }

    @Override
    public String getNextRetryTime() {
        long now = clock.millis();
        long retryAt = queue.retryAtMillis();
        return Views.time(retryAt > now ? retryAt : queue.deferredCount() == 0 ? 0 : queue.nextWake(now));
    }

    @Override
    public String getLastAttemptTime() {
        return Views.time(queue.lastAttemptMillis());
    }

    @Override
    public String getLastError() {
        return queue.lastError();
    }

    @Override
    public int getConsecutiveFailures() {
        return queue.consecutiveFailures();
    }

    @Override
    public int getActiveConnections() {
        return queue.activeConnections();
    }

    @Override
    public int retryNow() {
        return engine.retryQueue(queue.name());
    }

    @Override
    public void freeze() {
        engine.freezeQueue(queue.name());
    }

    @Override
    public void unfreeze() {
        engine.unfreezeQueue(queue.name());
    }

    @Override
    public MessageSummary[] listMessages(int offset, int limit) {
        return Views.summaries(engine.findMessages(queue.name(), "", offset, limit));
    }

    @Override
    public int deleteAll(boolean withNdr) {
        return engine.deleteQueue(queue.name(), withNdr);
    }
}
