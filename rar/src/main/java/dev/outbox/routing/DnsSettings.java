package dev.outbox.routing;

import java.time.Duration;
import java.util.List;

/**
 * How an {@link MxResolver} asks DNS: which servers, how long it waits, whether IPv6 addresses
 * are usable, and how much it remembers. {@link #defaults()} is what the adapter starts from;
 * the {@code with...} methods return a copy with one aspect changed.
 *
 * <p>Immutable. Misuse: a value out of its range throws {@link IllegalArgumentException}
 * naming it and the range.
 *
 * @param servers         the DNS servers to ask, in order (the {@code outbox.dns-servers}
 *                        setting); empty means the system's resolvers, as dnsjava's
 *                        {@code ResolverConfig} finds them (/etc/resolv.conf on Linux)
 * @param queryTimeout    how long to wait for one server's answer to one question, 1 ms to 10 min
 * @param lookupTimeout   how long one {@link MxResolver#resolve} may spend on DNS in all (MX,
 *                        then the hosts' addresses, every server and retry), at least the
 *                        query timeout and at most 10 min
 * @param preferIPv4Stack true when the JVM cannot reach IPv6 addresses
 *                        ({@code -Djava.net.preferIPv4Stack=true}, which WildFly's
 *                        standalone.conf sets): AAAA addresses are then left out of routes
 * @param cacheEntries    how many answers (one per name and type) the cache keeps at most, 0 to
 *                        1,000,000; 0 turns caching off
 * @param maxTtl          the longest an answer is remembered, whatever its TTL, 0 to 7 days
 * @param maxNegativeTtl  the longest a negative answer (NXDOMAIN, NODATA) is remembered, whatever
 *                        its SOA says, 0 to 7 days
 */
public record DnsSettings(List<DnsServer> servers, Duration queryTimeout, Duration lookupTimeout, boolean preferIPv4Stack,
                          int cacheEntries, Duration maxTtl, Duration maxNegativeTtl) {

    public static final Duration DEFAULT_QUERY_TIMEOUT = Duration.ofSeconds(5);
    public static final Duration DEFAULT_LOOKUP_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_CACHE_ENTRIES = 10_000;
    public static final Duration DEFAULT_MAX_TTL = Duration.ofHours(1);
    public static final Duration DEFAULT_MAX_NEGATIVE_TTL = Duration.ofMinutes(5);

    private static final Duration MAX_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration MAX_CACHE_TTL = Duration.ofDays(7);
    private static final int MAX_CACHE_ENTRIES = 1_000_000;

    public DnsSettings {
        if (servers == null) {
            throw new IllegalArgumentException("DNS servers: null; an empty list means the system's resolvers");
        }
        servers = List.copyOf(servers);
        requireWithin("DNS query timeout", queryTimeout, Duration.ofMillis(1), MAX_TIMEOUT);
        requireWithin("DNS lookup timeout", lookupTimeout, queryTimeout, MAX_TIMEOUT);
        if (cacheEntries < 0 || cacheEntries > MAX_CACHE_ENTRIES) {
            throw new IllegalArgumentException("DNS cache size " + cacheEntries + " is outside 0.." + MAX_CACHE_ENTRIES);
        }
        requireWithin("DNS cache max TTL", maxTtl, Duration.ZERO, MAX_CACHE_TTL);
        requireWithin("DNS cache max negative TTL", maxNegativeTtl, Duration.ZERO, MAX_CACHE_TTL);
    }

    /**
     * The system's resolvers, the default timeouts and cache, and IPv6 usable unless the system
     * property {@code java.net.preferIPv4Stack} is true.
     */
    public static DnsSettings defaults() {
        return new DnsSettings(List.of(), DEFAULT_QUERY_TIMEOUT, DEFAULT_LOOKUP_TIMEOUT, Boolean.getBoolean("java.net.preferIPv4Stack"),
                DEFAULT_CACHE_ENTRIES, DEFAULT_MAX_TTL, DEFAULT_MAX_NEGATIVE_TTL);
    }

    /** These servers instead (empty: the system's resolvers). */
    public DnsSettings withServers(List<DnsServer> servers) {
        return new DnsSettings(servers, queryTimeout, lookupTimeout, preferIPv4Stack, cacheEntries, maxTtl, maxNegativeTtl);
    }

    public DnsSettings withTimeouts(Duration queryTimeout, Duration lookupTimeout) {
        return new DnsSettings(servers, queryTimeout, lookupTimeout, preferIPv4Stack, cacheEntries, maxTtl, maxNegativeTtl);
    }

    public DnsSettings withPreferIPv4Stack(boolean preferIPv4Stack) {
        return new DnsSettings(servers, queryTimeout, lookupTimeout, preferIPv4Stack, cacheEntries, maxTtl, maxNegativeTtl);
    }

    public DnsSettings withCache(int cacheEntries, Duration maxTtl, Duration maxNegativeTtl) {
        return new DnsSettings(servers, queryTimeout, lookupTimeout, preferIPv4Stack, cacheEntries, maxTtl, maxNegativeTtl);
    }

    private static void requireWithin(String what, Duration value, Duration min, Duration max) {
        if (value == null || value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(what + " " + value + " is outside " + min + ".." + max);
        }
    }
}
