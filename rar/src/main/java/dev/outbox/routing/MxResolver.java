package dev.outbox.routing;

import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.net.IDN;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Routes a recipient domain by DNS, as RFC 5321 section 5 says: its MX hosts in preference
 * order, each with its addresses; the domain itself when it has no MX; nowhere for a null MX
 * (RFC 7505) or a domain that does not exist. It owns the {@link NameServers} it asks and the
 * {@link AnswerCache} of their answers.
 *
 * <ul>
 * <li>{@link #resolve(String)} returns a {@link Route}:
 *   <ul>
 *   <li>{@link Route.Hosts}: the MX hosts, preference ascending, equal preferences shuffled
 *       (RFC 5321 5.1), at most {@value #MAX_MX_HOSTS} (the best), each host's A then AAAA
 *       addresses; hosts without a usable address are left out. No MX records (NODATA) means
 *       the implicit MX: the domain's own addresses, preference 0. An address literal
 *       ({@code [192.0.2.1]}, {@code [IPv6:2001:db8::1]}) is that address, without DNS.</li>
 *   <li>{@link Route.Bounce}, permanent: NXDOMAIN; a null MX; no MX and no address (like
 *       Postfix); a domain or address literal that is malformed.</li>
 *   <li>{@link Route.Defer}, temporary: SERVFAIL or another error code, no answer in time, no
 *       server listening; MX hosts none of which has a usable address (each named, with what
 *       DNS said for it), also when only IPv6 addresses exist while
 *       {@link DnsSettings#preferIPv4Stack()} (WildFly's standalone.conf sets
 *       {@code java.net.preferIPv4Stack=true}, so AAAA addresses are unreachable there).</li>
 *   </ul>
 *   The caller's duty: pass the domain part of one recipient address (a host name, a U-label
 *   name, which is converted with IDNA, or an address literal), and deliver to port 25 (or
 *   {@code outbox.smtp-port}) of the addresses in the order given.</li>
 * <li>{@link #resolve(String, Duration, Consumer)}: the same within a caller's budget, and
 *     cancellable from another thread (a delivery attempt's abort), which closes the lookup's
 *     sockets at once.</li>
 * <li>{@link #servers()}: the DNS servers it asks, for the adapter's start-up log line.</li>
 * <li>{@link #close()}: ends lookups in flight (they return a Defer), refuses new ones, and stops
 *     dnsjava's NIO selector thread if anything in this class loader started it (see
 *     {@link DnsjavaSelector}). Call it when the adapter stops.</li>
 * </ul>
 *
 * <p>Answers are cached per name and type for their TTL as the given {@link Clock} tells time,
 * capped by {@link DnsSettings#maxTtl()}; NXDOMAIN and NODATA for their SOA's negative TTL,
 * capped by {@link DnsSettings#maxNegativeTtl()}; failures never. Lookup time limits use the
 * JVM's monotonic clock, not the given one.
 *
 * <p>Threading: thread-safe; {@link #resolve} is meant to be called from many delivery threads
 * at once. It is synchronous: it blocks the calling thread for as long as DNS takes, up to
 * {@link DnsSettings#lookupTimeout()}, so it must run on a delivery thread (a WorkManager
 * thread), never on the thread of an application that submits mail. It starts no thread.
 *
 * <p>Misuse: a null domain throws {@link NullPointerException}; {@link #resolve} after
 * {@link #close()} throws {@link IllegalStateException}; servers that cannot be used (a host
 * name that does not resolve, an IPv6 server while IPv6 is unreachable) throw
 * {@link IllegalArgumentException} from the constructor, naming the server.
 */
public final class MxResolver implements AutoCloseable {

    /** How many MX hosts (the most preferred) a route has at most; a domain may list hundreds. */
    public static final int MAX_MX_HOSTS = 10;
    /** The most addresses in one route, over all its hosts. */
    public static final int MAX_ROUTE_ADDRESSES = 10;

    private static final Logger LOG = Logger.getLogger(MxResolver.class.getName());
    private static final String ONLY_IPV6 = "has only IPv6 addresses (AAAA) and java.net.preferIPv4Stack=true";
    private static final int MAX_DOMAIN_LENGTH = 253;

    private final DnsSettings settings;
    private final NameServers nameServers;
    private final AnswerCache cache;
    private final Random random;
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A resolver on the system clock, shuffling equal preferences at random. */
    public MxResolver(DnsSettings settings) {
        this(settings, Clock.systemUTC(), new Random());
    }

    /**
     * A resolver whose cache tells time by {@code clock} and which shuffles equal MX preferences
     * with {@code random} (seeded in tests).
     */
    public MxResolver(DnsSettings settings, Clock clock, Random random) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.random = Objects.requireNonNull(random, "random");
        this.cache = new AnswerCache(Objects.requireNonNull(clock, "clock"), settings.cacheEntries(), settings.maxTtl(), settings.maxNegativeTtl());
        List<InetSocketAddress> servers = settings.servers().isEmpty() ? systemServers(settings.preferIPv4Stack())
                : settings.servers().stream().map(DnsServer::socketAddress).toList();
        if (settings.preferIPv4Stack()) {
            for (InetSocketAddress server : servers) {
                if (server.getAddress() instanceof Inet6Address) {
                    throw new IllegalArgumentException("DNS server " + NameServers.label(server)
                            + " has an IPv6 address, which this JVM cannot reach with java.net.preferIPv4Stack=true");
                }
            }
        }
        this.nameServers = new NameServers(servers, settings.queryTimeout());
        LOG.fine(() -> "MX resolver asks " + servers.stream().map(NameServers::label).toList() + ", query timeout "
                + NameServers.text(settings.queryTimeout()) + ", lookup timeout " + NameServers.text(settings.lookupTimeout()));
    }

    /** The DNS servers asked, in order. */
    public List<InetSocketAddress> servers() {
        return nameServers.servers();
    }

    /** Where mail for {@code domain} goes; blocks up to the lookup timeout. See the class comment. */
    public Route resolve(String domain) {
        return resolve(domain, settings.lookupTimeout(), cancel -> { });
    }

    /**
     * As {@link #resolve(String)}, within {@code budget} when that is shorter than the lookup
     * timeout, and cancellable: the lookup hands {@code onCancel} the action that cancels it (the
     * caller runs it from any thread, for example when its attempt is aborted), which closes the
     * lookup's sockets at once; a cancelled lookup ends in a {@link Route.Defer}.
     */
    public Route resolve(String domain, Duration budget, Consumer<Runnable> onCancel) {
        Objects.requireNonNull(domain, "domain");
        if (closed.get()) {
            throw new IllegalStateException("the MX resolver is closed; it was asked about " + domain.replaceAll("\\p{Cc}", "?"));
        }
        String text = domain.strip();
        Route route;
        if (AddressLiteral.is(text)) {
            route = AddressLiteral.route(text, settings.preferIPv4Stack());
        } else {
            long limit = Math.min(settings.lookupTimeout().toNanos(), Math.max(0, budget.toNanos()));
            NameServers.Lookup lookup = nameServers.begin();
            try {
                onCancel.accept(lookup::cancel);
                route = resolveName(text, System.nanoTime() + limit, lookup);
            } finally {
                nameServers.end(lookup);
            }
        }
        LOG.fine(() -> "route of " + domain.replaceAll("\\p{Cc}", "?") + ": " + route);
        return route;
    }

    /** Ends lookups in flight, refuses new ones, and stops dnsjava's NIO selector if it runs. A second call does nothing. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        nameServers.close();
        DnsjavaSelector.stop();
    }

    private Route resolveName(String text, long deadline, NameServers.Lookup lookup) {
        Name name;
        try {
            name = domainName(text);
        } catch (IllegalArgumentException e) {
            return new Route.Bounce(e.getMessage());
        }
        String domain = hostName(name);
        Answer mx = lookup(name, Type.MX, deadline, lookup);
        if (mx instanceof Answer.Failed) {
            return new Route.Defer(mx.describe());
        }
        if (mx instanceof Answer.NoSuchDomain) {
            return new Route.Bounce(domain + " does not exist: " + mx.describe());
        }
        if (mx instanceof Answer.Found found) {
            return viaMx(domain, found, deadline, lookup);
        }
        return implicitMx(name, domain, mx, deadline, lookup);
    }

    /** RFC 5321 5.1: MX records found; their hosts in order, those with usable addresses. */
    private Route viaMx(String domain, Answer.Found found, long deadline, NameServers.Lookup lookup) {
        List<MXRecord> records = found.records().stream().map(MXRecord.class::cast).toList();
        List<MXRecord> exchanges = records.stream().filter(mx -> !mx.getTarget().equals(Name.root)).toList();
        if (exchanges.isEmpty()) {
            boolean regular = records.size() == 1 && records.get(0).getPriority() == 0;
            return new Route.Bounce(domain + " accepts no mail: " + (regular
                    ? "it publishes a null MX (RFC 7505: one MX record, preference 0, to \".\")"
                    : "its only MX records point to \".\" (a null MX, RFC 7505, written irregularly)") + ", from " + found.server(), true);
        }
        List<MailHost> hosts = new ArrayList<>();
        List<String> unusable = new ArrayList<>();
        for (MXRecord mx : preferenceOrder(exchanges)) {
            String host = hostName(mx.getTarget());
            HostAddresses addresses = addresses(mx.getTarget(), host, deadline, lookup);
            if (addresses.usable().isEmpty()) {
                unusable.add(host + " " + addresses.why());
            } else {
                hosts.add(new MailHost(host, mx.getPriority(), addresses.usable()));
            }
        }
        if (hosts.isEmpty()) {
            return new Route.Defer("none of the MX hosts of " + domain + " has a usable address: " + String.join("; ", unusable));
        }
        return new Route.Hosts(capped(hosts));
    }

    /**
     * The first {@link #MAX_ROUTE_ADDRESSES} addresses of {@code hosts}, in order: one attempt
     * tries no more (Postfix's smtp_mx_address_limit is 5), so a domain cannot make Outbox scan
     * addresses of its choosing.
     */
    static List<MailHost> capped(List<MailHost> hosts) {
        List<MailHost> kept = new ArrayList<>();
        int left = MAX_ROUTE_ADDRESSES;
        for (MailHost host : hosts) {
            if (left == 0) {
                break;
            }
            List<InetAddress> addresses = host.addresses().size() <= left ? host.addresses() : host.addresses().subList(0, left);
            kept.add(addresses == host.addresses() ? host : new MailHost(host.name(), host.preference(), addresses));
            left -= addresses.size();
        }
        return kept;
    }

    /** RFC 5321 5.1: no MX records, so the domain itself is the host, with preference 0. */
    private Route implicitMx(Name name, String domain, Answer mx, long deadline, NameServers.Lookup lookup) {
        HostAddresses addresses = addresses(name, domain, deadline, lookup);
        if (!addresses.usable().isEmpty()) {
            return new Route.Hosts(capped(List.of(new MailHost(domain, 0, addresses.usable()))));
        }
        String answers = mx.describe() + ", and " + domain + " " + addresses.why();
        return addresses.temporary() ? new Route.Defer(answers) : new Route.Bounce(domain + " has no MX and no address: " + answers);
    }

    /**
     * The MX records by preference, ascending; records of equal preference in a random order
     * (RFC 5321 5.1: spread the load); a host listed twice kept at its best preference; at most
     * {@link #MAX_MX_HOSTS}.
     */
    private List<MXRecord> preferenceOrder(List<MXRecord> records) {
        Map<Integer, List<MXRecord>> byPreference = new TreeMap<>();
        for (MXRecord record : records) {
            byPreference.computeIfAbsent(record.getPriority(), preference -> new ArrayList<>()).add(record);
        }
        List<MXRecord> ordered = new ArrayList<>();
        Set<Name> seen = new HashSet<>();
        for (List<MXRecord> equal : byPreference.values()) {
            Collections.shuffle(equal, random);
            for (MXRecord record : equal) {
                if (seen.add(record.getTarget()) && ordered.size() < MAX_MX_HOSTS) {
                    ordered.add(record);
                }
            }
        }
        return ordered;
    }

    /**
     * What a host's addresses are, or why it has none to use.
     *
     * @param usable    A then AAAA addresses (AAAA only while IPv6 is reachable)
     * @param why       for none: a phrase that follows the host name ("has no address: ...")
     * @param temporary for none: whether asking again later may help
     */
    private record HostAddresses(List<InetAddress> usable, String why, boolean temporary) {
    }

    private HostAddresses addresses(Name name, String host, long deadline, NameServers.Lookup lookup) {
        boolean ipv4Only = settings.preferIPv4Stack();
        Answer a = lookup(name, Type.A, deadline, lookup);
        List<String> refused = new ArrayList<>();
        List<InetAddress> usable = destinations(addressesIn(a, host), refused);
        Answer aaaa = null;
        if (!ipv4Only || usable.isEmpty()) { // with IPv4 only, AAAA is asked for to say why there is no address
            aaaa = lookup(name, Type.AAAA, deadline, lookup);
            if (!ipv4Only) {
                usable.addAll(destinations(addressesIn(aaaa, host), refused));
            }
        }
        if (!usable.isEmpty()) {
            return new HostAddresses(usable, null, false);
        }
        if (!refused.isEmpty()) {
            return new HostAddresses(usable, "has only addresses no mail host can have: " + refused, true);
        }
        if (a instanceof Answer.Failed || aaaa instanceof Answer.Failed) {
            return new HostAddresses(usable, "has no address yet: " + a.describe() + "; " + aaaa.describe(), true);
        }
        if (aaaa instanceof Answer.Found) {
            return new HostAddresses(usable, ONLY_IPV6, true);
        }
        return new HostAddresses(usable, "has no address: " + a.describe() + "; " + aaaa.describe(), false);
    }

    /**
     * The addresses of {@code found} a connection may go to; the others (the unspecified address
     * 0.0.0.0 or ::, which reaches this machine, the rest of 0.0.0.0/8, multicast, broadcast) are
     * added to {@code refused}, as text.
     */
    private static List<InetAddress> destinations(List<InetAddress> found, List<String> refused) {
        List<InetAddress> usable = new ArrayList<>(found.size());
        for (InetAddress address : found) {
            byte[] bytes = address.getAddress();
            boolean none = address.isAnyLocalAddress() || address.isMulticastAddress()
                    || (bytes.length == 4 && (bytes[0] == 0 || (bytes[0] & bytes[1] & bytes[2] & bytes[3]) == (byte) 0xFF));
            if (none) {
                refused.add(address.getHostAddress());
            } else {
                usable.add(address);
            }
        }
        return usable;
    }

    /** The addresses in {@code answer}, each named {@code host}, so that getHostName() never asks DNS. */
    private static List<InetAddress> addressesIn(Answer answer, String host) {
        if (!(answer instanceof Answer.Found found)) {
            return List.of();
        }
        List<InetAddress> addresses = new ArrayList<>(found.records().size());
        for (Record record : found.records()) {
            InetAddress address = record instanceof ARecord a ? a.getAddress() : ((AAAARecord) record).getAddress();
            try {
                addresses.add(InetAddress.getByAddress(host, address.getAddress()));
            } catch (UnknownHostException e) {
                throw new IllegalStateException("address record of " + address.getAddress().length + " bytes for " + host, e);
            }
        }
        return addresses;
    }

    private Answer lookup(Name name, int type, long deadline, NameServers.Lookup lookup) {
        Answer cached = cache.get(name, type);
        if (cached != null) {
            return cached;
        }
        Answer answer = nameServers.ask(name, type, deadline, lookup);
        cache.put(answer);
        return answer;
    }

    /**
     * {@code text} as an absolute DNS name: U-labels converted with IDNA (RFC 5891), then only
     * letters, digits, '-', '_' and '.'; throws {@link IllegalArgumentException} saying what is wrong.
     */
    private static Name domainName(String text) {
        String shown = text.replaceAll("\\p{Cc}", "?");
        if (text.isEmpty()) {
            throw new IllegalArgumentException("the recipient domain is empty");
        }
        String ascii;
        try {
            ascii = IDN.toASCII(text, IDN.ALLOW_UNASSIGNED);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("\"" + shown + "\" is not a domain name: " + e.getMessage(), e);
        }
        for (int i = 0; i < ascii.length(); i++) {
            char c = ascii.charAt(i);
            if (!(c < 0x80 && (Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.'))) {
                throw new IllegalArgumentException("\"" + shown + "\" is not a domain name: it has the character '"
                        + (Character.isISOControl(c) ? "?" : c) + "'");
            }
        }
        if (ascii.length() > MAX_DOMAIN_LENGTH + (ascii.endsWith(".") ? 1 : 0)) {
            throw new IllegalArgumentException("\"" + shown + "\" is not a domain name: longer than " + MAX_DOMAIN_LENGTH + " characters");
        }
        try {
            return Name.fromString(ascii, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("\"" + shown + "\" is not a domain name: " + e.getMessage(), e);
        }
    }

    /** How a host is named in routes and reasons: lower case, no final dot, bytes outside printable ASCII escaped. */
    private static String hostName(Name name) {
        return name.canonicalize().toString(true);
    }

    /** The system's resolvers, as dnsjava finds them now (/etc/resolv.conf on Linux; 127.0.0.1:53 when it finds none). */
    private static List<InetSocketAddress> systemServers(boolean ipv4Only) {
        List<InetSocketAddress> servers = new ResolverConfig().servers();
        List<InetSocketAddress> reachable = servers.stream().filter(server -> !ipv4Only || !(server.getAddress() instanceof Inet6Address)).toList();
        if (reachable.isEmpty()) {
            throw new IllegalArgumentException("the system's DNS servers " + servers.stream().map(NameServers::label).toList()
                    + " all have IPv6 addresses, which this JVM cannot reach with java.net.preferIPv4Stack=true; set outbox.dns-servers");
        }
        if (reachable.size() < servers.size()) {
            LOG.log(Level.WARNING, "IPv6 DNS servers left out (java.net.preferIPv4Stack=true): {0}",
                    servers.stream().filter(server -> !reachable.contains(server)).map(NameServers::label).toList());
        }
        return reachable;
    }
}
