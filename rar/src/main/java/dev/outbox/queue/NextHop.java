package dev.outbox.queue;

/**
 * Where a transfer queue delivers: one SMTP server, as host and port. Each next hop has its own
 * transfer queue, and its {@link #toString()} form ({@code host:port}) names that queue in logs
 * and, later, in its MBean.
 *
 * <p>Immutable. Misuse: {@link #parse} throws {@link IllegalArgumentException} naming the text
 * and what is wrong with it.
 *
 * @param host a host name, an IPv4 address or an IPv6 address (without brackets)
 * @param port 1 to 65535
 */
public record NextHop(String host, int port) {

    public NextHop {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("next hop has no host");
        }
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            if (!(Character.isLetterOrDigit(c) && c < 0x80) && c != '.' && c != '-' && c != ':') {
                throw new IllegalArgumentException("next hop host \"" + printable(host)
                        + "\" has '" + (Character.isISOControl(c) ? "?" : c) + "', which no host name or address has");
            }
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("next hop port " + port + " is outside 1..65535");
        }
    }

    /**
     * Reads {@code host:port}, {@code [ipv6]:port}, or a bare host, which gets
     * {@code defaultPort}.
     */
    public static NextHop parse(String text, int defaultPort) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("next hop is empty: expected host:port");
        }
        String value = text.strip();
        String shown = printable(value);
        String host = value;
        String port = null;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0) {
                throw new IllegalArgumentException("next hop \"" + shown + "\" opens '[' without closing it");
            }
            host = value.substring(1, close);
            String rest = value.substring(close + 1);
            if (!rest.isEmpty()) {
                if (!rest.startsWith(":")) {
                    throw new IllegalArgumentException("next hop \"" + shown + "\": expected ':port' after ']'");
                }
                port = rest.substring(1);
            }
        } else {
            int colon = value.lastIndexOf(':');
            if (colon >= 0 && value.indexOf(':') == colon) {
                host = value.substring(0, colon);
                port = value.substring(colon + 1);
            }
        }
        if (port == null) {
            return new NextHop(host, defaultPort);
        }
        try {
            return new NextHop(host, Integer.parseInt(port));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("next hop \"" + shown + "\" has port \""
                    + printable(port) + "\", which is not a number");
        }
    }

    /** Text for an error message: a raw CR or LF in it would forge a log line. */
    static String printable(String text) {
        return text.replaceAll("\\p{Cntrl}", "?");
    }

    @Override
    public String toString() {
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
