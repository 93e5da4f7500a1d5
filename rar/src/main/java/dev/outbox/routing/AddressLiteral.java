package dev.outbox.routing;

import org.xbill.DNS.Address;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;

/**
 * A recipient domain that is an address literal (RFC 5321 section 4.1.3): {@code [192.0.2.1]}
 * or {@code [IPv6:2001:db8::1]}. Mail to it goes to that address, port 25, with no DNS lookup.
 *
 * <p>{@link #route(String, boolean)} turns one into a {@link Route}: a single {@link MailHost}
 * named by the literal, preference 0; a {@link Route.Bounce} for a literal that is malformed, is
 * an address no host can have (0.0.0.0, which reaches this machine, ::, multicast, broadcast) or
 * has a tag other than IPv6 (a General-address-literal: nothing can deliver to it); a
 * {@link Route.Defer} for an IPv6 literal while the JVM cannot reach IPv6 addresses. Addresses
 * are parsed as text only (never {@link InetAddress#getByName}, which could look a name up).
 *
 * <p>Stateless; may be called from any thread.
 */
final class AddressLiteral {

    private static final String IPV6_TAG = "ipv6:";

    private AddressLiteral() {
    }

    /** True when {@code domain} is written as an address literal, well formed or not. */
    static boolean is(String domain) {
        return domain.startsWith("[");
    }

    /** Where mail to {@code literal} goes; {@code preferIPv4Stack}: IPv6 addresses are unreachable. */
    static Route route(String literal, boolean preferIPv4Stack) {
        if (!literal.endsWith("]") || literal.length() < 3) {
            return new Route.Bounce("address literal " + literal + " is malformed: it must be [IPv4 address] or [IPv6:address]");
        }
        String inner = literal.substring(1, literal.length() - 1);
        String text;
        byte[] bytes;
        if (inner.toLowerCase(Locale.ROOT).startsWith(IPV6_TAG)) {
            text = inner.substring(IPV6_TAG.length());
            bytes = Address.toByteArray(text, Address.IPv6);
            if (bytes == null) {
                return new Route.Bounce("address literal " + literal + " is malformed: \"" + text + "\" is not an IPv6 address");
            }
        } else if (inner.indexOf(':') >= 0) {
            return new Route.Bounce("address literal " + literal + " has a tag other than IPv6, which Outbox cannot deliver to");
        } else {
            text = inner;
            bytes = Address.toByteArray(text, Address.IPv4);
            if (bytes == null) {
                return new Route.Bounce("address literal " + literal + " is malformed: \"" + text + "\" is not an IPv4 address");
            }
        }
        InetAddress address;
        try {
            address = InetAddress.getByAddress(text, bytes); // named, so that getHostName() never looks it up
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of " + bytes.length + " bytes, from " + literal, e); // 4 or 16: cannot happen
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()
                || (bytes.length == 4 && (bytes[0] == 0 || (bytes[0] & bytes[1] & bytes[2] & bytes[3]) == (byte) 0xFF))) {
            return new Route.Bounce("address literal " + literal + " is an address no mail host can have"
                    + " (unspecified, 0.0.0.0/8, multicast or broadcast)");
        }
        if (preferIPv4Stack && address instanceof Inet6Address) {
            return new Route.Defer("address literal " + literal + " is an IPv6 address, and java.net.preferIPv4Stack=true:"
                    + " this JVM cannot reach IPv6 addresses");
        }
        return new Route.Hosts(List.of(new MailHost(literal, 0, List.of(address))));
    }
}
