package dev.outbox.queue;

import dev.outbox.api.RecipientState;

import java.util.List;

/**
 * What a delivery status notice tells a message's sender: which recipients failed or are
 * delayed, and what each last heard. The queue decides that a notice is owed and keeps it
 * durable; a {@link NoticeComposer} turns it into the message that is sent.
 *
 * @param kind           a bounce (recipients failed for good) or a delay notice (still retried)
 * @param messageId      the queue id of the message it is about
 * @param envelopeSender that message's reverse path: where the notice goes; never empty
 * @param arrivalMillis  when that message was accepted
 * @param expiryMillis   when its undelivered recipients expire (a delay notice's "retried until")
 * @param recipients     the recipients it reports, in envelope order
 */
public record Notice(Kind kind, String messageId, String envelopeSender, long arrivalMillis, long expiryMillis,
                     List<Recipient> recipients) {

    /** The two notices Outbox sends. */
    public enum Kind {
        /** Action: failed, for recipients that bounced, expired or were deleted with a notice. */
        FAILED,
        /** Action: delayed, once per message, for recipients still undelivered after the delay-notice time. */
        DELAYED
    }

    /**
     * One reported recipient.
     *
     * @param address           its address
     * @param state             BOUNCED, EXPIRED or DELETED in a bounce; an unfinished state in a delay notice
     * @param replyCode         the SMTP code of the last reply it had, or 0
     * @param reply             that reply (starting with its code), or Outbox's reason when none; may be empty
     * @param remoteHost        the host that gave the reply, or "" when no host did
     * @param lastAttemptMillis when it was last tried, or 0 when never
     */
    public record Recipient(String address, RecipientState state, int replyCode, String reply, String remoteHost,
                            long lastAttemptMillis) {
    }

    public Notice {
        recipients = List.copyOf(recipients);
        if (recipients.isEmpty()) {
            throw new IllegalArgumentException("a notice about message " + messageId + " needs a recipient");
        }
        if (envelopeSender == null || envelopeSender.isEmpty()) {
            throw new IllegalArgumentException("message " + messageId + " has a null reverse path: no notice goes to nobody");
        }
    }
}
