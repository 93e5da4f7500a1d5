package dev.outbox.dsn;

import java.time.Instant;
import java.util.Objects;

/**
 * What a delivery status notification says about one recipient: the per-recipient fields of
 * RFC 3464 section 2.3.
 *
 * @param finalRecipient  the address delivery was tried to (Final-Recipient: rfc822; ...)
 * @param action          failed (given up) or delayed (still being retried)
 * @param status          the RFC 3463 status; class 5 for failed, class 4 for delayed
 * @param remoteMta       the host that gave the reply (Remote-MTA: dns; ...), or null when no
 *                        remote host answered (null MX, no connection, expiry without a reply)
 * @param diagnostic      the reply text (the remote server's when {@code remoteMta} is set,
 *                        else Outbox's own description), or null; any text, made safe when
 *                        written
 * @param lastAttempt     when delivery was last tried, or null if never
 * @param willRetryUntil  for a delayed recipient, when Outbox gives up; else null
 */
public record RecipientStatus(String finalRecipient, Action action, EnhancedStatus status, String remoteMta,
                              String diagnostic, Instant lastAttempt, Instant willRetryUntil) {

    /** The RFC 3464 Action values Outbox reports. */
    public enum Action {
        /** Given up: the message was not and will not be delivered to this recipient. */
        FAILED,
        /** Not delivered yet; Outbox keeps trying. */
        DELAYED;

        /** The field value: "failed" or "delayed". */
        public String field() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    public RecipientStatus {
        Objects.requireNonNull(finalRecipient, "finalRecipient");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(status, "status");
        if (finalRecipient.isBlank()) {
            throw new IllegalArgumentException("a recipient status needs the recipient's address");
        }
        if (action == Action.FAILED && !status.permanent()) {
            throw new IllegalArgumentException("recipient " + finalRecipient + " failed with status " + status
                    + ": a failure's status is class 5");
        }
        if (action == Action.DELAYED && !status.temporary()) {
            throw new IllegalArgumentException("recipient " + finalRecipient + " is delayed with status " + status
                    + ": a delay's status is class 4");
        }
        if (action == Action.FAILED && willRetryUntil != null) {
            throw new IllegalArgumentException("recipient " + finalRecipient + " failed: nothing is retried until "
                    + willRetryUntil);
        }
    }

    /** A recipient given up on with {@code status}. */
    public static RecipientStatus failed(String recipient, EnhancedStatus status, String remoteMta, String diagnostic,
                                         Instant lastAttempt) {
        return new RecipientStatus(recipient, Action.FAILED, status, remoteMta, diagnostic, lastAttempt, null);
    }

    /** A recipient still being retried, until {@code willRetryUntil} (may be null). */
    public static RecipientStatus delayed(String recipient, EnhancedStatus status, String remoteMta, String diagnostic,
                                          Instant lastAttempt, Instant willRetryUntil) {
        return new RecipientStatus(recipient, Action.DELAYED, status, remoteMta, diagnostic, lastAttempt, willRetryUntil);
    }
}
