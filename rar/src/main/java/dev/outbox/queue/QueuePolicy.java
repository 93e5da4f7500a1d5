package dev.outbox.queue;

import java.time.Duration;

/**
 * How the queue treats mail over time.
 *
 * @param retrySchedule            waits after temporary failures
 * @param maxAge                   how long after submit an undelivered recipient expires
 * @param connectionsPerDestination most connections open to one next hop at once
 * @param messagesPerConnection    most messages one connection carries before it is closed
 */
public record QueuePolicy(RetrySchedule retrySchedule, Duration maxAge, int connectionsPerDestination, int messagesPerConnection) {

    public QueuePolicy {
        if (maxAge.isNegative() || maxAge.isZero()) {
            throw new IllegalArgumentException("maximum message age " + maxAge + " must be positive");
        }
        if (connectionsPerDestination < 1 || messagesPerConnection < 1) {
            throw new IllegalArgumentException("connections per destination and messages per connection must be at least 1");
        }
    }
}
