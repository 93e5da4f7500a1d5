package dev.outbox.management;

import javax.management.ConstructorParameters;

/** One line of a message list, as an open type (CompositeData in any console). */
public final class MessageSummary {

    private final String id;
    private final String sender;
    private final String submitTime;
    private final int sizeBytes;
    private final int recipients;
    private final int unfinished;
    private final String states;
    private final String nextRetryTime;

    @ConstructorParameters({"id", "sender", "submitTime", "sizeBytes", "recipients", "unfinished", "states", "nextRetryTime"})
    public MessageSummary(String id, String sender, String submitTime, int sizeBytes, int recipients, int unfinished, String states,
                          String nextRetryTime) {
        this.id = id;
        this.sender = sender;
        this.submitTime = submitTime;
        this.sizeBytes = sizeBytes;
        this.recipients = recipients;
        this.unfinished = unfinished;
        this.states = states;
        this.nextRetryTime = nextRetryTime;
    }

    public String getId() {
        return id;
    }

    /** The envelope sender; "" for the null reverse path. */
    public String getSender() {
        return sender;
    }

    public String getSubmitTime() {
        return submitTime;
    }

    public int getSizeBytes() {
        return sizeBytes;
    }

    public int getRecipients() {
        return recipients;
    }

    public int getUnfinished() {
        return unfinished;
    }

    /** How many recipients are in each state, e.g. "DEFERRED 2, DELIVERED 1". */
    public String getStates() {
        return states;
    }

    public String getNextRetryTime() {
        return nextRetryTime;
    }
}
