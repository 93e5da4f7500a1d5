package dev.outbox.cli;

import java.util.List;

/**
 * One message in full, as the server's MessageDetail open type carries it: envelope, times, size,
 * the header section as stored (lines end in CRLF, at most 64 KiB) and every recipient.
 */
record MessageDetail(String id, String sender, String submitTime, String expiryTime, int sizeBytes, String headers,
                     List<Recipient> recipients) {

    MessageDetail {
        recipients = List.copyOf(recipients);
    }

    /**
     * One recipient: its transfer queue, its state (QUEUED, IN_FLIGHT, DEFERRED, FROZEN, DELIVERED,
     * BOUNCED, EXPIRED or DELETED), when it is due ("" when not waiting), how many attempts it had
     * and its next hop's last reply ("" when none).
     */
    record Recipient(String address, String destination, String state, String dueTime, int attempts, String lastReply) {
    }
}
