package dev.outbox.management;

/**
 * Outbox as a whole, at {@code outbox:type=QueueManager}: counts, the global switches, and
 * operations on messages by id. Open types only, so any JMX console shows it without Outbox's
 * classes. Times are ISO-8601 instants in UTC, empty when there is none.
 *
 * <p>Counts of recipients by state are of live messages now; Delivered, Bounced, Expired,
 * Deleted, Deferrals, StuckRecovered and the notice counts count since the adapter started.
 */
public interface QueueManagerMXBean {

    long getQueued();

    long getInFlight();

    long getDeferred();

    long getFrozen();

    long getDelivered();

    long getBounced();

    long getExpired();

    long getDeleted();

    /** Bounces (delivery status notifications, Action: failed) durably queued to senders since start; each goes out like any mail. */
    long getBounceNotices();

    /** Delay notices (Action: delayed; one a message) durably queued to senders since start. */
    long getDelayNotices();

    /** Recipients that failed in messages with a null reverse path (notices among them) since start: no notice goes back for them. */
    long getNoticesWithheld();

    /** Deferrals since start (each 4xx or failed connection that put a recipient back). */
    long getDeferrals();

    /** Recipients the sweep found overdue and repaired since start: 0 in a healthy system. */
    long getStuckRecovered();

    /** Recipients overdue right now (see DESIGN.md, invariant 2): 0 in a healthy system. */
    int getOverdueRecipients();

    /** Messages in the store, finished ones not counted. */
    int getMessageCount();

    long getStoreSizeBytes();

    boolean isPaused();

    String getRetrySchedule();

    String getMaxMessageAge();

    /** Stops opening connections everywhere until resume(); open ones finish their message. */
    void pause();

    void resume();

    /** Ends every queue's wait for its retry time and makes deferred recipients due; returns how many. */
    int retryAll();

    /** Live messages whose id, sender or a recipient contains {@code query} (any case; empty for all), oldest first. */
    MessageSummary[] findMessages(String query, int offset, int limit);

    /** One message with its recipients, their states and last replies, and its headers; fails for an unknown id. */
    MessageDetail getMessage(String id);

    /** Holds every unfinished recipient of the message (one in flight when its attempt ends undelivered); returns how many. */
    int freezeMessage(String id);

    int unfreezeMessage(String id);

    /**
     * Deletes every unfinished recipient of message {@code id}; {@code withNdr} sends its sender a bounce (Action: failed,
     * "deleted by an operator") for them, unless it has a null reverse path. One in flight is deleted when its attempt ends
     * undelivered (and only then reported).
     */
    int deleteMessage(String id, boolean withNdr);

    /** Routes the message again and makes its deferred recipients due now; returns how many. */
    int resubmitMessage(String id);
}
