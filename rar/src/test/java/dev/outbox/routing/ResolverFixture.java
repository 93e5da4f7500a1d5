package dev.outbox.routing;

import dev.outbox.testing.TestClock;
import dev.outbox.testing.dns.TestDns;

import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * What the routing tests share: a {@link TestDns} on loopback, a {@link TestClock} for the cache,
 * and resolvers that ask that server (IPv6 reachable unless a test says otherwise, equal MX
 * preferences shuffled by a seeded Random). {@link #close()} closes the resolvers, then the server.
 */
final class ResolverFixture implements AutoCloseable {

    /** Loopback answers in microseconds; the margin is for a loaded build machine, never waited out. */
    static final Duration QUERY_TIMEOUT = Duration.ofSeconds(2);
    static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(10);

    final TestDns dns = TestDns.start();
    final TestClock clock = new TestClock(Instant.parse("2026-12-06T12:00:00Z"));
    private final List<MxResolver> resolvers = new ArrayList<>();

    /** Settings that ask {@link #dns} only. */
    DnsSettings settings() {
        return DnsSettings.defaults().withServers(List.of(DnsServer.parse(dns.server())))
                .withTimeouts(QUERY_TIMEOUT, LOOKUP_TIMEOUT)
                .withPreferIPv4Stack(false);
    }

    MxResolver resolver() {
        return resolver(settings());
    }

    MxResolver resolver(DnsSettings settings) {
        MxResolver resolver = new MxResolver(settings, clock, new Random(7));
        resolvers.add(resolver);
        return resolver;
    }

    @Override
    public void close() {
        resolvers.forEach(MxResolver::close);
        dns.close();
    }

    static List<MailHost> hosts(Route route) {
        return assertInstanceOf(Route.Hosts.class, route, () -> "expected hosts, got " + route).hosts();
    }

    static String bounce(Route route) {
        return oneLine(assertInstanceOf(Route.Bounce.class, route, () -> "expected a bounce, got " + route).reason());
    }

    static String defer(Route route) {
        return oneLine(assertInstanceOf(Route.Defer.class, route, () -> "expected a deferral, got " + route).reason());
    }

    static List<String> names(List<MailHost> hosts) {
        return hosts.stream().map(MailHost::name).toList();
    }

    static List<String> addresses(MailHost host) {
        return host.addresses().stream().map(InetAddress::getHostAddress).toList();
    }

    private static String oneLine(String reason) {
        assertFalse(reason.chars().anyMatch(Character::isISOControl), () -> "control characters in: " + reason);
        return reason;
    }
}
