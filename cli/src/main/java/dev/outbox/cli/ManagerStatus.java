package dev.outbox.cli;

/**
 * What {@code outbox:type=QueueManager} counts. Queued, inFlight, deferred and frozen are
 * recipients of live messages now; delivered, bounced, expired, deleted, deferrals and
 * stuckRecovered count since the adapter started; overdueRecipients and stuckRecovered are 0 in
 * a healthy system.
 */
record ManagerStatus(boolean paused, int messageCount, long storeSizeBytes, long queued, long inFlight, long deferred, long frozen,
                     int overdueRecipients, long delivered, long bounced, long expired, long deleted, long deferrals,
                     long stuckRecovered, long bounceNotices, long delayNotices, long noticesWithheld, String retrySchedule,
                     String maxMessageAge) {
}
