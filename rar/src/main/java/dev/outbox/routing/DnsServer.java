package dev.outbox.routing;

import org.xbill.DNS.Address;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One DNS server to ask, as the {@code outbox.dns-servers} setting names it: a host (an IPv4
 * address, an IPv6 address, or a host name) and a port (default {@value #DEFAULT_PORT}).
 *
 * <p>{@link #parseList(String)} reads the setting's text: comma-separated entries
 * {@code host[:port]}, an IPv6 address in brackets when a port follows ({@code [::1]:5353});
 * blank text means "no servers named", that is, the system's resolvers.
 * {@link #socketAddress()} turns the entry into the address to send queries to, looking a host
 * name up once with the JVM's own resolver.
 *
 * <p>Immutable. Misuse: every parse error throws {@link IllegalArgumentException} naming the
 * text, the entry and what is wrong with it.
 *
 * @param host an IPv4 address, an IPv6 address (without brackets) or a host name
 * @param port 1 to 65535
 */
public record DnsServer(String host, int port) {

    public static final int DEFAULT_PORT = 53;

    private static final Pattern HOST_NAME = Pattern.compile("(?i)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\\.?");
    private static final Pattern PORT = Pattern.compile("[0-9]{1,5}");
    private static final Pattern DIGITS_AND_DOTS = Pattern.compile("[0-9.]+");

    public DnsServer {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("DNS server has no host");
        }
        String problem = hostProblem(host);
        if (problem != null) {
            throw new IllegalArgumentException("DNS server host \"" + printable(host) + "\" " + problem);
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("DNS server port " + port + " is outside 1..65535");
        }
    }

    /** The servers named in {@code text} (comma-separated {@code host[:port]}), in order; none for null or blank text. */
    public static List<DnsServer> parseList(String text) {
        if (text == null || text.isBlank()) {
            return List.of();
        }
        String[] entries = text.split(",", -1);
        List<DnsServer> servers = new ArrayList<>(entries.length);
        for (int i = 0; i < entries.length; i++) {
            try {
                servers.add(parse(entries[i]));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("DNS servers \"" + printable(text) + "\": entry " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(servers);
    }

    /** One entry: {@code host}, {@code host:port}, {@code [ipv6]}, {@code [ipv6]:port} or a bare IPv6 address. */
    public static DnsServer parse(String entry) {
        String value = entry == null ? "" : entry.strip();
        if (value.isEmpty()) {
            throw new IllegalArgumentException("empty, expected host[:port]");
        }
        String host;
        String port = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("\"" + printable(value) + "\" opens '[' without closing it");
            }
            host = value.substring(1, close);
            String rest = value.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("\"" + printable(value) + "\": expected ':port' after ']'");
                }
                port = rest.substring(1);
            }
            if (Address.toByteArray(host, Address.IPv6) == null) {
                throw new IllegalArgumentException("\"" + printable(value) + "\": brackets are for IPv6 addresses, and \"" + printable(host) + "\" is not one");
            }
        } else if (value.indexOf(':') >= 0 && value.indexOf(':') == value.lastIndexOf(':')) {
            host = value.substring(0, value.indexOf(':'));
            port = value.substring(value.indexOf(':') + 1);
        } else {
            host = value; // a name, an IPv4 address, or an IPv6 address without a port
        }
        return new DnsServer(host, port == null ? DEFAULT_PORT : portNumber(value, port));
    }

    /** The address to send queries to; a host name is looked up now, with the JVM's resolver. */
    public InetSocketAddress socketAddress() {
        InetSocketAddress address = new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("DNS server " + this + ": the host name does not resolve");
        }
        return address;
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }

    private static int portNumber(String entry, String port) {
        if (!PORT.matcher(port).matches()) {
            throw new IllegalArgumentException("\"" + printable(entry) + "\" has port \"" + printable(port) + "\", which is not a number");
        }
        return Integer.parseInt(port);
    }

    /** Null for a host this can query, else what is wrong with it. */
    private static String hostProblem(String host) {
        if (host.indexOf(':') >= 0) {
            return Address.toByteArray(host, Address.IPv6) == null ? "is not an IPv6 address" : null;
        }
        if (DIGITS_AND_DOTS.matcher(host).matches()) {
            return Address.toByteArray(host, Address.IPv4) == null ? "is not an IPv4 address" : null;
        }
        return HOST_NAME.matcher(host).matches() && host.length() <= 254 ? null : "is not a host name";
    }

    /** Text for an error message: a raw CR or LF in it would forge a log line. */
    private static String printable(String text) {
        return text.replaceAll("\\p{Cc}", "?");
    }
}
