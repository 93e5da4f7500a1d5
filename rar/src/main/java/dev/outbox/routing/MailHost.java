package dev.outbox.routing;

import java.net.InetAddress;
import java.util.List;

/**
 * One SMTP server that accepts mail for a domain: an MX host (or the domain itself, when it has
 * no MX, or an address literal), its MX preference, and its addresses in the order to try them
 * (A records, then AAAA records, each in the order DNS gave them).
 *
 * <p>Each address carries {@link #name} as its host name, so {@link InetAddress#getHostName()}
 * never starts a reverse lookup. Immutable.
 *
 * @param name       the host name as DNS gave it, lower case, without the final dot, in
 *                   master-file notation (a byte outside printable ASCII appears as {@code \DDD});
 *                   for an address literal, the literal ({@code [192.0.2.1]})
 * @param preference the MX preference, 0 to 65535; 0 for the implicit MX and address literals
 * @param addresses  at least one
 */
public record MailHost(String name, int preference, List<InetAddress> addresses) {

    public MailHost {
        if (name == null || name.isBlank() || name.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("mail host name \"" + String.valueOf(name).replaceAll("\\p{Cc}", "?")
                    + "\" is blank or has control characters");
        }
        if (preference < 0 || preference > 65535) {
            throw new IllegalArgumentException("MX preference " + preference + " of " + name + " is outside 0..65535");
        }
        if (addresses == null || addresses.isEmpty()) {
            throw new IllegalArgumentException("mail host " + name + " has no address");
        }
        addresses = List.copyOf(addresses);
    }

    @Override
    public String toString() {
        return name + " (MX " + preference + ") " + addresses.stream().map(InetAddress::getHostAddress).toList();
    }
}
