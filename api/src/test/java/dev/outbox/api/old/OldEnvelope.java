package dev.outbox.api.old;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The SMTP envelope of a message: the reverse path (MAIL FROM) and the forward paths (RCPT TO).
 *
 * <p>Built only through {@link #of}, which checks every address against RFC 5321 (syntax and
 * length limits) and refuses CR, LF, NUL and other control characters, so nothing in an
 * envelope can break an SMTP command. Recipients keep their order; a repeated recipient is
 * kept once (the domain compared without case).
 *
 * <p>Immutable and thread-safe. Misuse: a bad address or an empty recipient list throws
 * {@link IllegalArgumentException} naming which address and why.
 *
 * @param reversePath the MAIL FROM address, or {@code ""} for the null reverse path
 *                    ({@code <>}, used for bounces)
 * @param recipients  the RCPT TO addresses, at least one
 */
public record OldEnvelope(String reversePath, List<String> recipients) implements Serializable {

    public OldEnvelope {
        if (reversePath == null) {
            throw new IllegalArgumentException("reverse path is null: use \"\" for the null reverse path <>");
        }
        if (!reversePath.isEmpty()) {
            OldMailboxSyntax.check(reversePath, "reverse path");
        }
        if (recipients == null || recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
        List<String> unique = new ArrayList<>(recipients.size());
        Set<String> seen = new LinkedHashSet<>();
        for (int i = 0; i < recipients.size(); i++) {
            String recipient = recipients.get(i);
            OldMailboxSyntax.check(recipient, "recipient " + (i + 1));
            if (seen.add(canonical(recipient))) {
                unique.add(recipient);
            }
        }
        recipients = List.copyOf(unique);
    }

    /** An envelope for {@code reversePath} (or {@code ""} for {@code <>}) and the recipients. */
    public static OldEnvelope of(String reversePath, List<String> recipients) {
        return new OldEnvelope(reversePath, recipients);
    }

    /** An envelope for {@code reversePath} (or {@code ""} for {@code <>}) and the recipients. */
    public static OldEnvelope of(String reversePath, String... recipients) {
        // Not List.of: it throws NullPointerException for a null element, naming no recipient.
        return new OldEnvelope(reversePath, recipients == null ? null : Arrays.asList(recipients));
    }

    /** True for the null reverse path {@code <>}: no bounce is ever sent for such a message. */
    public boolean isNullSender() {
        return reversePath.isEmpty();
    }

    private static String canonical(String mailbox) {
        int at = mailbox.lastIndexOf('@');
        return mailbox.substring(0, at) + mailbox.substring(at).toLowerCase(Locale.ROOT);
    }
}
