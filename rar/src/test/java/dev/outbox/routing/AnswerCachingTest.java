package dev.outbox.routing;

import dev.outbox.testing.TestClock;
import dev.outbox.testing.dns.Fault;
import dev.outbox.testing.dns.TestDns;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Name;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.List;

import static dev.outbox.routing.ResolverFixture.bounce;
import static dev.outbox.routing.ResolverFixture.defer;
import static dev.outbox.routing.ResolverFixture.hosts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * What the resolver remembers, proved by the questions the DNS server counts while the test
 * moves the clock: answers for their TTL and no longer, capped; NXDOMAIN and NODATA for their
 * SOA's negative TTL, capped; failures never; and a cache that stays within its size.
 */
class AnswerCachingTest {

    @AutoClose
    private final ResolverFixture fixture = new ResolverFixture();
    private final TestDns dns = fixture.dns;
    private final TestClock clock = fixture.clock;

    @Test
    void answersAreKeptForTheirTtlThenAskedAgain() {
        dns.ttl(Duration.ofSeconds(60)).mx("example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.1");
        MxResolver resolver = fixture.resolver();

        assertKeptFor(Duration.ofSeconds(60), () -> hosts(resolver.resolve("example.test")), "example.test", "MX");
        assertEquals(2, dns.queries("mx.example.test", "A"), "the host's address expired with the MX");
    }

    @Test
    void aLongTtlIsCappedByTheMaximum() {
        dns.ttl(Duration.ofDays(1)).a("plain.test", "192.0.2.1");
        MxResolver resolver = fixture.resolver(fixture.settings().withCache(100, Duration.ofHours(1), Duration.ofMinutes(5)));

        assertKeptFor(Duration.ofHours(1), () -> hosts(resolver.resolve("plain.test")), "plain.test", "A");
    }

    @Test
    void nxdomainIsKeptForTheNegativeTtlOfItsSoaCapped() {
        dns.negativeTtl(Duration.ofMinutes(10));
        MxResolver resolver = fixture.resolver(fixture.settings().withCache(100, Duration.ofHours(1), Duration.ofMinutes(5)));

        assertKeptFor(Duration.ofMinutes(5), () -> bounce(resolver.resolve("nowhere.test")), "nowhere.test", "MX");
    }

    @Test
    void nodataIsKeptForTheNegativeTtl() {
        dns.negativeTtl(Duration.ofSeconds(30)).a("plain.test", "192.0.2.1");
        MxResolver resolver = fixture.resolver();

        assertKeptFor(Duration.ofSeconds(30), () -> hosts(resolver.resolve("plain.test")), "plain.test", "MX");
        assertEquals(2, dns.queries("plain.test", "AAAA"), "NODATA for AAAA is kept the same");
    }

    @Test
    void failuresAreNeverKept() {
        dns.mx("broken.test", 10, "mx.broken.test").fault("broken.test", Fault.SERVFAIL);
        MxResolver resolver = fixture.resolver();

        defer(resolver.resolve("broken.test"));
        defer(resolver.resolve("broken.test"));
        assertEquals(2, dns.queries("broken.test", "MX"));

        dns.heal("broken.test").a("mx.broken.test", "192.0.2.1");
        assertEquals(List.of("mx.broken.test"), ResolverFixture.names(hosts(resolver.resolve("broken.test"))), "no waiting out a failure");
    }

    @Test
    void anAnswerWithTtlZeroIsNotKept() {
        dns.ttl(Duration.ZERO).a("fleeting.test", "192.0.2.1");
        MxResolver resolver = fixture.resolver();

        hosts(resolver.resolve("fleeting.test"));
        hosts(resolver.resolve("fleeting.test"));

        assertEquals(2, dns.queries("fleeting.test", "A"));
    }

    @Test
    void aCacheOfSizeZeroAsksEveryTime() {
        dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.1");
        MxResolver resolver = fixture.resolver(fixture.settings().withCache(0, Duration.ofHours(1), Duration.ofMinutes(5)));

        hosts(resolver.resolve("example.test"));
        hosts(resolver.resolve("example.test"));

        assertEquals(2, dns.queries("example.test", "MX"));
    }

    @Test
    void aFullCacheDropsTheAnswerUsedLeastRecently() {
        AnswerCache cache = new AnswerCache(clock, 2, Duration.ofHours(1), Duration.ofMinutes(5));
        cache.put(nodata("a.test"));
        cache.put(nodata("b.test"));
        assertNotNull(cache.get(name("a.test"), Type.MX)); // a is now the more recently used

        cache.put(nodata("c.test"));

        assertEquals(2, cache.size());
        assertNotNull(cache.get(name("a.test"), Type.MX));
        assertNull(cache.get(name("b.test"), Type.MX));
        assertNotNull(cache.get(name("c.test"), Type.MX));
    }

    @Test
    void anExpiredAnswerIsDroppedWhenMet() {
        AnswerCache cache = new AnswerCache(clock, 10, Duration.ofHours(1), Duration.ofMinutes(5));
        cache.put(nodata("a.test"));
        cache.put(new Answer.Failed(name("b.test"), Type.MX, "SERVFAIL from 192.0.2.53:53"));
        assertEquals(1, cache.size(), "a failure is not kept");

        clock.advance(Duration.ofSeconds(60));

        assertNull(cache.get(name("a.test"), Type.MX));
        assertEquals(0, cache.size());
    }

    @Test
    void namesDifferingOnlyInCaseAreOneQuestion() {
        dns.a("plain.test", "192.0.2.1");
        MxResolver resolver = fixture.resolver();

        hosts(resolver.resolve("plain.test"));
        hosts(resolver.resolve("PLAIN.test"));

        assertEquals(1, dns.queries("plain.test", "A"));
    }

    /**
     * Resolves three times: at once, then {@code kept} less a second later (both answered from one
     * question about {@code name}/{@code type}), then at {@code kept} (asked again).
     */
    private void assertKeptFor(Duration kept, Runnable resolve, String name, String type) {
        resolve.run();
        clock.advance(kept.minusSeconds(1));
        resolve.run();
        assertEquals(1, dns.queries(name, type), name + "/" + type + " asked again before " + kept + " had passed");
        clock.advance(Duration.ofSeconds(1));
        resolve.run();
        assertEquals(2, dns.queries(name, type), name + "/" + type + " not asked again after " + kept);
    }

    private static Answer nodata(String name) {
        return new Answer.NoData(name(name), Type.MX, 60, "192.0.2.53:53");
    }

    private static Name name(String text) {
        return Name.fromConstantString(text + ".");
    }
}
