package dev.outbox.delivery;

import java.util.Locale;

/**
 * How Outbox uses STARTTLS (RFC 3207), after Postfix's TLS security levels; the setting
 * {@code outbox.tls}.
 *
 * <ul>
 * <li>{@link #NONE}: never starts TLS.</li>
 * <li>{@link #OPPORTUNISTIC} (Postfix's {@code may}): STARTTLS when the server offers it, with
 *     no certificate check; when STARTTLS fails (refused, or the handshake breaks), the same
 *     server is tried once more in plain text, within the same budget.</li>
 * <li>{@link #REQUIRED}: never in plain text. Towards an MX host (Postfix's {@code encrypt}):
 *     encryption without a certificate check, and a server that does not offer STARTTLS is a
 *     failed connection. Towards the smarthost (Postfix's {@code secure}): its certificate chain
 *     and host name are verified too.</li>
 * </ul>
 *
 * <p>Misuse: {@link #parse} throws {@link IllegalArgumentException} naming the text and the
 * three values.
 */
public enum TlsPolicy {
    NONE, OPPORTUNISTIC, REQUIRED;

    /** {@code none}, {@code opportunistic} or {@code required}, in any case. */
    public static TlsPolicy parse(String text) {
        String value = text == null ? "" : text.strip().toUpperCase(Locale.ROOT);
        for (TlsPolicy policy : values()) {
            if (policy.name().equals(value)) {
                return policy;
            }
        }
        throw new IllegalArgumentException("\"" + String.valueOf(text).replaceAll("\\p{Cntrl}", "?")
                + "\" is not a TLS level: expected none, opportunistic or required");
    }

    /** As the setting writes it: {@code opportunistic}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
