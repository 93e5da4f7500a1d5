package dev.outbox.queue;

import java.util.Locale;

/**
 * What one transfer queue delivers to, and so what names it in logs, timers and its MBean:
 * either a smarthost, every recipient relayed through it ({@code host:port}), or a recipient
 * domain, routed by its MX records at each attempt ({@code example.com}, or an address literal
 * such as {@code [192.0.2.1]}), as Postfix's nexthop is the domain.
 *
 * <p>Immutable; equal by name and kind. Misuse: {@link #domain} and {@link #parse} throw
 * {@link IllegalArgumentException} naming the text and its defect.
 *
 * @param name      the queue's name: the domain in lower case, or the smarthost's {@code host:port}
 * @param smarthost the relay every recipient of this queue goes to, or null to route the domain by MX
 */
public record Destination(String name, NextHop smarthost) {

    public Destination {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("a destination needs a name");
        }
    }

    /** Every recipient relayed through {@code smarthost}. */
    public static Destination smarthost(NextHop smarthost) {
        return new Destination(smarthost.toString(), smarthost);
    }

    /**
     * The recipient domain {@code domain}, routed by MX: a host name (letters, digits, hyphens and
     * dots; kept in lower case, since DNS compares names without case) or an address literal
     * ({@code [192.0.2.1]}, {@code [IPv6:2001:db8::1]}).
     */
    public static Destination domain(String domain) {
        if (domain == null || domain.isEmpty()) {
            throw new IllegalArgumentException("a recipient domain is empty");
        }
        if (domain.startsWith("[")) {
            if (!domain.endsWith("]") || domain.length() < 3 || !domain.substring(1, domain.length() - 1).matches("(?i)(IPv6:)?[0-9a-f:.]+")) {
                throw new IllegalArgumentException("\"" + NextHop.printable(domain) + "\" is not an address literal");
            }
            String inner = domain.substring(1, domain.length() - 1);
            return new Destination(inner.regionMatches(true, 0, "IPv6:", 0, 5) ? "[IPv6:" + inner.substring(5).toLowerCase(Locale.ROOT) + "]" : domain, null);
        }
        if (domain.length() > 255 || !domain.matches("[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*")) {
            throw new IllegalArgumentException("\"" + NextHop.printable(domain) + "\" is not a domain name");
        }
        return new Destination(domain.toLowerCase(Locale.ROOT), null);
    }

    /** The destination of {@code recipient} ({@code local@domain}) when routing by MX: its domain. */
    public static Destination ofRecipient(String recipient) {
        int at = recipient.lastIndexOf('@');
        if (at < 0) {
            throw new IllegalArgumentException("recipient \"" + NextHop.printable(recipient) + "\" has no domain");
        }
        return domain(recipient.substring(at + 1));
    }

    /**
     * The destination named {@code name}, as {@link #name()} gave it (an operator's frozen
     * destinations are saved by name): {@code host:port} is a smarthost, anything else a domain.
     */
    public static Destination parse(String name) {
        if (name != null && !name.startsWith("[") && name.indexOf(':') >= 0) {
            return smarthost(NextHop.parse(name, 25));
        }
        if (name != null && name.startsWith("[") && name.indexOf("]:") > 0) {
            return smarthost(NextHop.parse(name, 25)); // an IPv6 smarthost, [::1]:25
        }
        return domain(name);
    }

    /** True when every recipient goes to the smarthost; false when the domain is routed by MX. */
    public boolean isSmarthost() {
        return smarthost != null;
    }

    @Override
    public String toString() {
        return name;
    }
}
