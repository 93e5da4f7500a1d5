package dev.outbox.dsn;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An RFC 3463 enhanced mail system status code ({@code class.subject.detail}, such as 5.1.1), the
 * Status field of a delivery status notification.
 *
 * <p>{@link #of(int, String)} decides the status of an SMTP outcome: the enhanced status the
 * server put at the start of its reply (RFC 2034), when its class agrees with the reply code's;
 * otherwise the reply code's class alone (5.0.0, 4.0.0), or 4.4.1 when no reply was had at all
 * (reply code 0: no answer, broken connection). A null MX reply ("556 5.1.10 ...") passes
 * through as 5.1.10. {@link #EXPIRED} (5.4.7) is for a message given up when its time in the
 * queue ran out. {@link #parse(String)} reads one written form.
 *
 * <p>Immutable. {@link #parse} throws IllegalArgumentException for text that is not a status;
 * {@link #of} never throws for any reply text.
 */
public record EnhancedStatus(int statusClass, int subject, int detail) {

    /** Delivery time expired (RFC 3463 X.4.7), given up: the status of a bounce for expiry. */
    public static final EnhancedStatus EXPIRED = new EnhancedStatus(5, 4, 7);

    /** "No answer from host" (RFC 3463 X.4.1): a temporary failure without any reply. */
    static final EnhancedStatus NO_ANSWER = new EnhancedStatus(4, 4, 1);

    private static final Pattern IN_REPLY = Pattern.compile("^(?:\\d{3}[ -])?([245])\\.(\\d{1,3})\\.(\\d{1,3})(?![.\\d])");
    private static final Pattern WRITTEN = Pattern.compile("([245])\\.(\\d{1,3})\\.(\\d{1,3})");

    public EnhancedStatus {
        if (statusClass != 2 && statusClass != 4 && statusClass != 5) {
            throw new IllegalArgumentException("an enhanced status class is 2, 4 or 5, not " + statusClass);
        }
        if (subject < 0 || subject > 999 || detail < 0 || detail > 999) {
            throw new IllegalArgumentException("an enhanced status subject and detail are 0 to 999, not "
                    + subject + "." + detail);
        }
    }

    /** The status written as {@code 5.1.1}. */
    public static EnhancedStatus parse(String text) {
        Matcher m = WRITTEN.matcher(text == null ? "" : text.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not an RFC 3463 status: \"" + text + "\"");
        }
        return new EnhancedStatus(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    }

    /**
     * The status of an SMTP outcome with reply code {@code replyCode} (0 when none was had) and
     * reply text {@code reply} (with or without its code in front; may be null).
     */
    public static EnhancedStatus of(int replyCode, String reply) {
        int codeClass = replyCode / 100;
        if (reply != null) {
            Matcher m = IN_REPLY.matcher(reply.strip());
            if (m.find() && Integer.parseInt(m.group(1)) == codeClass) {
                return new EnhancedStatus(codeClass, Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
            }
        }
        return switch (codeClass) {
            case 5 -> new EnhancedStatus(5, 0, 0);
            case 4 -> new EnhancedStatus(4, 0, 0);
            case 2 -> new EnhancedStatus(2, 0, 0);
            default -> NO_ANSWER;
        };
    }

    /** True for class 5: a permanent failure. */
    public boolean permanent() {
        return statusClass == 5;
    }

    /** True for class 4: a temporary failure. */
    public boolean temporary() {
        return statusClass == 4;
    }

    @Override
    public String toString() {
        return statusClass + "." + subject + "." + detail;
    }
}
