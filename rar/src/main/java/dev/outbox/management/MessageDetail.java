package dev.outbox.management;

import javax.management.ConstructorParameters;

/** One message in full, as an open type: envelope, times, size, headers and every recipient. */
public final class MessageDetail {

    private final String id;
    private final String sender;
    private final String submitTime;
    private final String expiryTime;
    private final int sizeBytes;
    private final String headers;
    private final RecipientDetail[] recipients;

    @ConstructorParameters({"id", "sender", "submitTime", "expiryTime", "sizeBytes", "headers", "recipients"})
    public MessageDetail(String id, String sender, String submitTime, String expiryTime, int sizeBytes, String headers,
                         RecipientDetail[] recipients) {
        this.id = id;
        this.sender = sender;
        this.submitTime = submitTime;
        this.expiryTime = expiryTime;
        this.sizeBytes = sizeBytes;
        this.headers = headers;
        this.recipients = recipients.clone();
    }

    public String getId() {
        return id;
    }

    public String getSender() {
        return sender;
    }

    public String getSubmitTime() {
        return submitTime;
    }

    public String getExpiryTime() {
        return expiryTime;
    }

    public int getSizeBytes() {
        return sizeBytes;
    }

    /** The header section as stored (lines end in CRLF), at most 64 KiB of it. */
    public String getHeaders() {
        return headers;
    }

    public RecipientDetail[] getRecipients() {
        return recipients.clone();
    }
}
