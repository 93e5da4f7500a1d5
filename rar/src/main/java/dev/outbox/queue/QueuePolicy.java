package dev.outbox.queue;

import java.time.Duration;

/**
 * How the queue treats mail over time.
 *
 * @param retrySchedule             waits after temporary failures
 * @param maxAge                    how long after submit an undelivered recipient expires
 * @param connectionsPerDestination most connections open to one destination at once, by destination
 * @param messagesPerConnection     most messages one connection carries before it is closed, by destination
 * @param maxConnections            most connections open at once over all next hops: each holds a
 *                                  long-running thread of the server's shared work manager
 * @param attemptTimeout            the longest one attempt (connecting included, for a connection's
 *                                  first message) may take before its connection is closed
 */
public record QueuePolicy(RetrySchedule retrySchedule, Duration maxAge, PerDestination connectionsPerDestination,
                          PerDestination messagesPerConnection, int maxConnections, Duration attemptTimeout) {

    public static final int DEFAULT_MAX_CONNECTIONS = 32;
    public static final Duration DEFAULT_ATTEMPT_TIMEOUT = Duration.ofMinutes(10);
    /** A minute: shorter would expire mail before a first retry could run. */
    public static final Duration SHORTEST_MAX_AGE = Duration.ofMinutes(1);
    /** A year: mail older than that is not worth delivering, and the clock arithmetic stays far from overflow. */
    public static final Duration LONGEST_MAX_AGE = Duration.ofDays(365);

    public QueuePolicy {
        if (maxAge.compareTo(SHORTEST_MAX_AGE) < 0 || maxAge.compareTo(LONGEST_MAX_AGE) > 0) {
            throw new IllegalArgumentException("maximum message age " + RetrySchedule.DurationText.format(maxAge)
                    + " must be at least " + RetrySchedule.DurationText.format(SHORTEST_MAX_AGE)
                    + " and at most " + RetrySchedule.DurationText.format(LONGEST_MAX_AGE));
        }
        if (belowOne(connectionsPerDestination) || belowOne(messagesPerConnection) || maxConnections < 1) {
            throw new IllegalArgumentException("connections per destination, messages per connection and the most connections must be at least 1");
        }
        if (attemptTimeout.isNegative() || attemptTimeout.isZero() || attemptTimeout.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("attempt timeout " + attemptTimeout + " must be positive and at most a day");
        }
    }

    /** The same limits for every destination. */
    public QueuePolicy(RetrySchedule retrySchedule, Duration maxAge, int connectionsPerDestination, int messagesPerConnection,
                       int maxConnections, Duration attemptTimeout) {
        this(retrySchedule, maxAge, PerDestination.of(connectionsPerDestination), PerDestination.of(messagesPerConnection),
                maxConnections, attemptTimeout);
    }

    /** The same limits for every destination, and the defaults for the global connection cap and the attempt timeout. */
    public QueuePolicy(RetrySchedule retrySchedule, Duration maxAge, int connectionsPerDestination, int messagesPerConnection) {
        this(retrySchedule, maxAge, connectionsPerDestination, messagesPerConnection, DEFAULT_MAX_CONNECTIONS, DEFAULT_ATTEMPT_TIMEOUT);
    }

    /** Most connections open to {@code queue}'s destination at once. */
    int connectionsFor(TransferQueue queue) {
        return connectionsPerDestination.of(queue.name());
    }

    /** Most messages one connection to {@code queue}'s destination carries. */
    int messagesPerConnectionFor(TransferQueue queue) {
        return messagesPerConnection.of(queue.name());
    }

    private static boolean belowOne(PerDestination limit) {
        return limit.defaultValue() < 1 || limit.overrides().values().stream().anyMatch(v -> v < 1);
    }
}
