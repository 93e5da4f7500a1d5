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
 */
public enum TlsPolicy {
    NONE, OPPORTUNISTIC, REQUIRED;

    /** As the setting writes it: {@code opportunistic}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
