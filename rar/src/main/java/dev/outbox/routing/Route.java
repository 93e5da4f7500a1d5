package dev.outbox.routing;

import java.util.List;

/**
 * Where mail for one recipient domain goes, as DNS said when {@link MxResolver#resolve} asked:
 * to {@link Hosts} in the order delivery must try them; nowhere, for good ({@link Bounce}); or
 * not yet known ({@link Defer}). A caller switches over the three.
 *
 * <p>The reason of a bounce or a deferral is written for operators and ends up in delivery logs,
 * MBeans and bounce messages: it says what DNS answered for which name. It is always one
 * printable line: the constructors replace line breaks and other control characters, because
 * names that come from DNS are untrusted.
 *
 * <p>Immutable; safe to share between threads.
 */
public sealed interface Route permits Route.Hosts, Route.Bounce, Route.Defer {

    /** Reasons longer than this are cut: enough for every MX host of a domain with its answer. */
    int MAX_REASON_LENGTH = 2000;

    /**
     * Deliver to these hosts, trying them in this order: MX preference ascending, equal
     * preferences shuffled (RFC 5321 section 5.1), and within a host its addresses in order.
     *
     * @param hosts at least one, each with at least one address
     */
    record Hosts(List<MailHost> hosts) implements Route {
        public Hosts {
            if (hosts == null || hosts.isEmpty()) {
                throw new IllegalArgumentException("a route to hosts needs at least one host");
            }
            hosts = List.copyOf(hosts);
        }
    }

    /**
     * A permanent answer: the domain does not exist (NXDOMAIN), publishes a null MX (RFC 7505),
     * has neither MX nor address, or is not a domain at all. Retrying cannot help.
     */
    record Bounce(String reason, boolean nullMx) implements Route {
        public Bounce {
            reason = oneLine(reason);
        }

        /** Any permanent answer but a null MX. */
        public Bounce(String reason) {
            this(reason, false);
        }

        /** The reply code a recipient bounces with: 556 for a null MX (RFC 7505 section 3.2), else 550. */
        public int replyCode() {
            return nullMx ? 556 : 550;
        }

        /** The reply text, with its code and enhanced status: 5.1.10 for a null MX (RFC 7505), else 5.1.2 (RFC 3463: bad destination system). */
        public String reply() {
            return (nullMx ? "556 5.1.10 " : "550 5.1.2 ") + reason;
        }
    }

    /**
     * A temporary answer: a DNS server failed (SERVFAIL), did not answer, or the hosts it named
     * have no usable address yet. Retrying later may succeed.
     */
    record Defer(String reason) implements Route {
        public Defer {
            reason = oneLine(reason);
        }
    }

    /**
     * {@code text} as one printable line of at most {@link #MAX_REASON_LENGTH} characters: line
     * breaks become a space, other control and format characters (C0, C1, bidi overrides) '?'.
     */
    private static String oneLine(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a route that delivers nowhere needs a reason");
        }
        String line = text.strip().replaceAll("\\R+", " ").replaceAll("[\\p{Cc}\\p{Cf}]", "?");
        return line.length() <= MAX_REASON_LENGTH ? line : line.substring(0, MAX_REASON_LENGTH - 3) + "...";
    }
}
