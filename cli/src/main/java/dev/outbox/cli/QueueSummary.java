package dev.outbox.cli;

/**
 * One transfer queue as its {@code outbox:type=Queue,destination=...} MBean shows it. Times are
 * ISO-8601 instants in UTC as the server sends them, "" for none.
 */
record QueueSummary(String destination, String state, int messageCount, long sizeBytes, long oldestMessageAgeSeconds,
                    String nextRetryTime, String lastAttemptTime, String lastError, int consecutiveFailures, int activeConnections) {
}
