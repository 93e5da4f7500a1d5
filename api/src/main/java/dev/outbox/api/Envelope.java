package dev.outbox.api;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
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
public record Envelope(String reversePath, List<String> recipients) implements Serializable {

    /** Up to this many recipients are compared pairwise for repeats, making nothing; more go through a set. */
    private static final int PAIRWISE_LIMIT = 8;

    public Envelope {
        if (reversePath == null) {
            throw new IllegalArgumentException("reverse path is null: use \"\" for the null reverse path <>");
        }
        if (!reversePath.isEmpty()) {
            MailboxSyntax.check(reversePath, "reverse path");
        }
        if (recipients == null || recipients.isEmpty()) {
            throw new IllegalArgumentException("an envelope needs at least one recipient");
        }
        // Read once, then checked and kept: the caller's list is not read again after the check,
        // so a list that changes meanwhile cannot slip an unchecked address in. An immutable list
        // is its own copy (List.copyOf returns it): recovery makes a million envelopes.
        recipients = snapshot(recipients);
        for (int i = 0; i < recipients.size(); i++) {
            MailboxSyntax.check(recipients.get(i), "recipient", i + 1);
        }
        // A few recipients are compared pairwise, making nothing.
        if (recipients.size() > PAIRWISE_LIMIT || hasRepeats(recipients)) {
            recipients = List.copyOf(withoutRepeats(recipients));
        }
    }

    /** An envelope for {@code reversePath} (or {@code ""} for {@code <>}) and the recipients. */
    public static Envelope of(String reversePath, List<String> recipients) {
        return new Envelope(reversePath, recipients);
    }

    /** An envelope for {@code reversePath} (or {@code ""} for {@code <>}) and the recipients. */
    public static Envelope of(String reversePath, String... recipients) {
        // Not List.of: it throws NullPointerException for a null element, naming no recipient.
        return new Envelope(reversePath, recipients == null ? null : Arrays.asList(recipients));
    }

    /** True for the null reverse path {@code <>}: no bounce is ever sent for such a message. */
    public boolean isNullSender() {
        return reversePath.isEmpty();
    }

    /**
     * The recipients as they are now, in a list of the envelope's own: List.copyOf's, or, when
     * one is null (which List.copyOf refuses), an array's, so that the check names that recipient.
     */
    private static List<String> snapshot(List<String> recipients) {
        try {
            return List.copyOf(recipients);
        } catch (NullPointerException e) {
            return Arrays.asList(recipients.toArray(new String[0]));
        }
    }

    /** Whether a recipient is there twice, compared pairwise. */
    private static boolean hasRepeats(List<String> recipients) {
        int n = recipients.size();
        for (int i = 1; i < n; i++) {
            for (int j = 0; j < i; j++) {
                if (same(recipients.get(i), recipients.get(j))) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether two checked mailboxes are one: the same local part, and the same domain but for case
     * ({@link #canonical} equal, without making it; both are ASCII, so ignoring case is lower-casing).
     */
    private static boolean same(String a, String b) {
        int at = a.lastIndexOf('@');
        return a.length() == b.length() && b.lastIndexOf('@') == at && a.regionMatches(0, b, 0, at)
                && a.regionMatches(true, at, b, at, a.length() - at);
    }

    /** The recipients in order, each repeat left out. */
    private static List<String> withoutRepeats(List<String> recipients) {
        List<String> unique = new ArrayList<>(recipients.size());
        Set<String> seen = new HashSet<>();
        for (String recipient : recipients) {
            if (seen.add(canonical(recipient))) {
                unique.add(recipient);
            }
        }
        return unique;
    }

    private static String canonical(String mailbox) {
        int at = mailbox.lastIndexOf('@');
        return mailbox.substring(0, at) + mailbox.substring(at).toLowerCase(Locale.ROOT);
    }
}
