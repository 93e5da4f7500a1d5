package dev.outbox.management;

/**
 * One transfer queue, at {@code outbox:type=Queue,destination=<next hop>}: its state, what waits
 * in it, how its last attempts went, and operations on it. Registered when the queue appears,
 * unregistered after it has been empty and idle for ten minutes. Times are ISO-8601 instants
 * in UTC, empty when there is none.
 */
public interface QueueMXBean {

    String getDestination();

    /** READY, ACTIVE, RETRY, FROZEN or EMPTY. */
    String getState();

    int getMessageCount();

    long getSizeBytes();

    long getOldestMessageAgeSeconds();

    /** When the queue tries again: its retry time in RETRY, else the earliest deferred recipient's time. */
    String getNextRetryTime();

    String getLastAttemptTime();

    String getLastError();

    int getConsecutiveFailures();

    int getActiveConnections();

    /** Tries now: ends the wait for the retry time and makes deferred recipients due (nothing for a frozen queue); returns how many. */
    int retryNow();

    /** Holds the queue (saved: it stays frozen across a restart). */
    void freeze();

    void unfreeze();

    MessageSummary[] listMessages(int offset, int limit);

    /** Deletes every unfinished recipient in this queue; {@code withNdr} sends each message's sender a bounce (Action: failed) for them. */
    int deleteAll(boolean withNdr);
}
