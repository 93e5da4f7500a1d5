package dev.outbox.routing;

import dev.outbox.testing.dns.Fault;
import dev.outbox.testing.dns.TestDns;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static dev.outbox.routing.ResolverFixture.addresses;
import static dev.outbox.routing.ResolverFixture.bounce;
import static dev.outbox.routing.ResolverFixture.defer;
import static dev.outbox.routing.ResolverFixture.hosts;
import static dev.outbox.routing.ResolverFixture.names;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Routes from what a real DNS server answers (RFC 5321 section 5, RFC 7505): MX order and the
 * shuffle of equal preferences, the implicit MX, null MX, NXDOMAIN, NODATA, failures and
 * timeouts, hosts without addresses, IPv6 while the JVM is IPv4 only, CNAMEs, answers too long
 * for UDP, several servers, hostile names, and many delivery threads at once.
 */
class MxResolverTest {

    @AutoClose
    private final ResolverFixture fixture = new ResolverFixture();
    private final TestDns dns = fixture.dns;

    @Test
    void mxHostsComeInPreferenceOrderEachWithItsAThenAaaaAddresses() {
        dns.mx("example.test", 20, "backup.example.test")
                .mx("example.test", 10, "primary.example.test")
                .a("primary.example.test", "192.0.2.1", "192.0.2.2")
                .aaaa("primary.example.test", "2001:db8::1")
                .a("backup.example.test", "192.0.2.9");

        List<MailHost> hosts = hosts(fixture.resolver().resolve("example.test"));

        assertEquals(List.of("primary.example.test", "backup.example.test"), names(hosts));
        assertEquals(10, hosts.get(0).preference());
        assertEquals(List.of("192.0.2.1", "192.0.2.2", "2001:db8:0:0:0:0:0:1"), addresses(hosts.get(0)));
        assertEquals("primary.example.test", hosts.get(0).addresses().get(0).getHostName(), "named, so no reverse lookup");
        assertEquals(List.of("192.0.2.9"), addresses(hosts.get(1)));
    }

    @Test
    void equalPreferencesAreShuffledOnEveryResolveAndOnlyWithinTheirPreference() {
        dns.mx("spread.test", 5, "first.spread.test").a("first.spread.test", "192.0.2.1");
        for (String host : List.of("a", "b", "c")) {
            dns.mx("spread.test", 10, host + ".spread.test").a(host + ".spread.test", "192.0.2.10");
        }
        dns.mx("spread.test", 20, "last.spread.test").a("last.spread.test", "192.0.2.20");
        MxResolver resolver = fixture.resolver();

        Map<String, Integer> leaders = new HashMap<>();
        Set<List<String>> orders = new HashSet<>();
        int resolves = 600;
        for (int i = 0; i < resolves; i++) {
            List<String> names = names(hosts(resolver.resolve("spread.test")));
            assertEquals("first.spread.test", names.get(0));
            assertEquals("last.spread.test", names.get(4));
            leaders.merge(names.get(1), 1, Integer::sum);
            orders.add(names.subList(1, 4));
        }

        assertEquals(6, orders.size(), "every order of the three equal hosts occurs: " + orders);
        for (String host : List.of("a.spread.test", "b.spread.test", "c.spread.test")) {
            int led = leaders.getOrDefault(host, 0);
            // Expected 200 each; 120 is about seven standard deviations below, so a fair shuffle never fails this.
            assertTrue(led > 120, host + " came first among equals " + led + " times of " + resolves + ": " + leaders);
        }
        assertEquals(1, dns.queries("spread.test", "MX"), "the shuffle is per resolve, the answer is cached");
    }

    @Test
    void aSeededRandomGivesTheSameOrderAgain() {
        for (String host : List.of("a", "b", "c", "d")) {
            dns.mx("seeded.test", 10, host + ".seeded.test").a(host + ".seeded.test", "192.0.2.1");
        }
        DnsSettings settings = fixture.settings();

        List<String> first = names(hosts(new MxResolver(settings, fixture.clock, new Random(42)).resolve("seeded.test")));
        List<String> again = names(hosts(new MxResolver(settings, fixture.clock, new Random(42)).resolve("seeded.test")));

        assertEquals(first, again);
    }

    @Test
    void aDomainWithoutMxIsItsOwnHostWithPreferenceZero() {
        dns.a("plain.test", "192.0.2.5").aaaa("plain.test", "2001:db8::5");

        List<MailHost> hosts = hosts(fixture.resolver().resolve("Plain.Test."));

        assertEquals(List.of("plain.test"), names(hosts));
        assertEquals(0, hosts.get(0).preference());
        assertEquals(List.of("192.0.2.5", "2001:db8:0:0:0:0:0:5"), addresses(hosts.get(0)));
    }

    @Test
    void aNullMxBouncesWithoutLookingUpAnyAddress() {
        dns.nullMx("nomail.test").a("nomail.test", "192.0.2.1");

        String reason = bounce(fixture.resolver().resolve("nomail.test"));

        assertTrue(reason.startsWith("nomail.test accepts no mail: it publishes a null MX (RFC 7505"), reason);
        assertTrue(reason.endsWith("from " + dns.server()), reason);
        assertEquals(0, dns.queries("nomail.test", "A"));
    }

    @Test
    void aNullMxBesideRealMxRecordsIsSkipped() {
        dns.nullMx("mixed.test").mx("mixed.test", 10, "mx.mixed.test").a("mx.mixed.test", "192.0.2.1");

        assertEquals(List.of("mx.mixed.test"), names(hosts(fixture.resolver().resolve("mixed.test"))));
    }

    @Test
    void aDomainThatDoesNotExistBouncesNamingTheAnswerAndTheServer() {
        String reason = bounce(fixture.resolver().resolve("nowhere.test"));

        assertEquals("nowhere.test does not exist: NXDOMAIN for nowhere.test/MX from " + dns.server(), reason);
    }

    @Test
    void aDomainWithNeitherMxNorAddressBounces() {
        dns.aaaa("other.empty.test", "2001:db8::1"); // empty.test exists (a name below it) but has no records

        String reason = bounce(fixture.resolver().resolve("empty.test"));

        assertEquals("empty.test has no MX and no address: no MX records for empty.test (NODATA from " + dns.server()
                + "), and empty.test has no address: no A records for empty.test (NODATA from " + dns.server()
                + "); no AAAA records for empty.test (NODATA from " + dns.server() + ")", reason);
    }

    @Test
    void servfailForTheMxDefers() {
        dns.mx("broken.test", 10, "mx.broken.test").fault("broken.test", Fault.SERVFAIL);

        String reason = defer(fixture.resolver().resolve("broken.test"));

        assertEquals("the lookup of broken.test/MX failed: SERVFAIL from " + dns.server(), reason);
        assertEquals(1, dns.queries("broken.test", "MX"), "a server that answered SERVFAIL is not asked again");
    }

    @Test
    void noAnswerDefersAfterOneRetryNamingTheTimeout() {
        dns.mx("silent.test", 10, "mx.silent.test").fault("silent.test", Fault.SILENCE);
        MxResolver resolver = fixture.resolver(fixture.settings().withTimeouts(Duration.ofMillis(200), Duration.ofSeconds(10)));

        String reason = defer(resolver.resolve("silent.test"));

        assertEquals("the lookup of silent.test/MX failed: no answer within 200 ms from " + dns.server(), reason);
        assertEquals(NameServers.ATTEMPTS_PER_SERVER, dns.queries("silent.test", "MX"));
    }

    @Test
    void theLookupTimeLimitEndsTheRetries() {
        dns.fault("silent.test", Fault.SILENCE);
        MxResolver resolver = fixture.resolver(fixture.settings().withTimeouts(Duration.ofMillis(300), Duration.ofMillis(300)));

        String reason = defer(resolver.resolve("silent.test"));

        assertTrue(reason.contains("no time left of the lookup's time limit"), reason);
        assertEquals(1, dns.queries("silent.test", "MX"), "the one query used the whole lookup time");
    }

    @Test
    void noServerListeningDefers() {
        TestDns gone = TestDns.start();
        String server = gone.server();
        gone.close();
        MxResolver resolver = fixture.resolver(fixture.settings().withServers(DnsServer.parseList(server)));

        String reason = defer(resolver.resolve("example.test"));

        assertEquals("the lookup of example.test/MX failed: nothing listens on " + server + " (port unreachable)", reason);
    }

    @Test
    void theNextServerIsAskedWhenOneFailsOrIsSilent() {
        dns.mx("example.test", 10, "mx.example.test").a("mx.example.test", "192.0.2.1");
        try (TestDns failing = TestDns.start("127.0.0.2"); TestDns silent = TestDns.start("127.0.0.3")) {
            failing.fault("example.test", Fault.SERVFAIL).fault("mx.example.test", Fault.REFUSED);
            silent.fault("example.test", Fault.SILENCE).fault("mx.example.test", Fault.SILENCE);
            MxResolver resolver = fixture.resolver(fixture.settings()
                    .withTimeouts(Duration.ofMillis(300), Duration.ofSeconds(10))
                    .withServers(DnsServer.parseList(failing.server() + ", " + silent.server() + "," + dns.server())));

            assertEquals(List.of("mx.example.test"), names(hosts(resolver.resolve("example.test"))));
            assertEquals(1, failing.queries("example.test", "MX"));
            assertEquals(1, silent.queries("example.test", "MX"));
        }
    }

    @Test
    void mxHostsWithoutAnyAddressDeferNamingEachAndWhatDnsSaid() {
        dns.mx("lame.test", 10, "gone.lame.test").mx("lame.test", 20, "bare.lame.test")
                .mx("lame.test", 30, "ill.lame.test")
                .aaaa("v6.bare.lame.test", "2001:db8::1") // bare.lame.test exists through a name below it, with no address
                .a("ill.lame.test", "192.0.2.1").fault("ill.lame.test", "A", Fault.SERVFAIL);

        String reason = defer(fixture.resolver().resolve("lame.test"));

        String server = dns.server();
        assertEquals("none of the MX hosts of lame.test has a usable address: "
                + "gone.lame.test has no address: NXDOMAIN for gone.lame.test/A from " + server
                + "; NXDOMAIN for gone.lame.test/AAAA from " + server
                + "; bare.lame.test has no address: no A records for bare.lame.test (NODATA from " + server
                + "); no AAAA records for bare.lame.test (NODATA from " + server + ")"
                + "; ill.lame.test has no address yet: the lookup of ill.lame.test/A failed: SERVFAIL from " + server
                + "; no AAAA records for ill.lame.test (NODATA from " + server + ")", reason);
    }

    @Test
    void hostsWithoutAddressAreLeftOutWhenOthersHaveOne() {
        dns.mx("part.test", 10, "gone.part.test").mx("part.test", 20, "ok.part.test").a("ok.part.test", "192.0.2.2")
                .mx("part.test", 30, "ill.part.test").a("ill.part.test", "192.0.2.3").fault("ill.part.test", Fault.SERVFAIL);

        assertEquals(List.of("ok.part.test"), names(hosts(fixture.resolver().resolve("part.test"))));
    }

    @Test
    void withIpv4OnlyAaaaAddressesAreLeftOutAndAnIpv6OnlyHostSaysWhy() {
        dns.mx("six.test", 10, "v6only.six.test").aaaa("v6only.six.test", "2001:db8::6")
                .mx("six.test", 20, "dual.six.test").a("dual.six.test", "192.0.2.4").aaaa("dual.six.test", "2001:db8::4");
        MxResolver ipv4Only = fixture.resolver(fixture.settings().withPreferIPv4Stack(true));

        List<MailHost> hosts = hosts(ipv4Only.resolve("six.test"));

        assertEquals(List.of("dual.six.test"), names(hosts));
        assertEquals(List.of("192.0.2.4"), addresses(hosts.get(0)));
        dns.remove("dual.six.test");
        String reason = defer(fixture.resolver(fixture.settings().withPreferIPv4Stack(true)).resolve("six.test"));
        assertTrue(reason.startsWith("none of the MX hosts of six.test has a usable address: "
                + "v6only.six.test has only IPv6 addresses (AAAA) and java.net.preferIPv4Stack=true; dual.six.test has no address"), reason);
    }

    @Test
    void withIpv4OnlyADomainWithOnlyAaaaDefersSayingWhy() {
        dns.aaaa("v6.test", "2001:db8::1");

        String reason = defer(fixture.resolver(fixture.settings().withPreferIPv4Stack(true)).resolve("v6.test"));

        assertEquals("no MX records for v6.test (NODATA from " + dns.server() + "), and v6.test has only IPv6 addresses (AAAA)"
                + " and java.net.preferIPv4Stack=true", reason);
        assertEquals(List.of("2001:db8:0:0:0:0:0:1"), addresses(hosts(fixture.resolver().resolve("v6.test")).get(0)),
                "with IPv6 reachable it is a host");
    }

    @Test
    void theIpv4OnlyFlagDefaultsToTheSystemProperty() {
        assertEquals(Boolean.getBoolean("java.net.preferIPv4Stack"), DnsSettings.defaults().preferIPv4Stack());
    }

    @Test
    void cnamesAreFollowedForTheDomainAndForMxHosts() {
        dns.cname("alias.test", "real.test").mx("real.test", 10, "mx-alias.real.test")
                .cname("mx-alias.real.test", "mx.real.test").a("mx.real.test", "192.0.2.8");

        List<MailHost> hosts = hosts(fixture.resolver().resolve("alias.test"));

        assertEquals(List.of("mx-alias.real.test"), names(hosts), "the host keeps the name the MX gave");
        assertEquals(List.of("192.0.2.8"), addresses(hosts.get(0)));
    }

    @Test
    void aHostWithMoreAddressesThanUdpCarriesIsReadOverTcp() {
        dns.mx("big.test", 10, "many.big.test");
        for (int i = 1; i <= 120; i++) {
            dns.a("many.big.test", "198.51.100." + i);
        }

        List<InetAddress> addresses = hosts(fixture.resolver().resolve("big.test")).get(0).addresses();

        assertEquals(2, dns.queries("many.big.test", "A"), "asked over UDP, then again over TCP for the whole answer");
        assertEquals(MxResolver.MAX_ROUTE_ADDRESSES, addresses.size(), "a route keeps the first addresses only");
        assertEquals("198.51.100.1", addresses.get(0).getHostAddress());
    }

    @Test
    void atMostTenMxHostsTheMostPreferred() {
        for (int i = 1; i <= 15; i++) {
            dns.mx("crowded.test", i, "mx" + i + ".crowded.test").a("mx" + i + ".crowded.test", "192.0.2." + i);
        }

        List<MailHost> hosts = hosts(fixture.resolver().resolve("crowded.test"));

        assertEquals(MxResolver.MAX_MX_HOSTS, hosts.size());
        assertEquals("mx10.crowded.test", hosts.get(9).name());
        assertEquals(0, dns.queries("mx11.crowded.test", "A"));
    }

    @Test
    void namesFromDnsWithControlCharactersStayOnOneLine() {
        dns.mx("evil.test", 10, "bad\\013\\010host.evil.test").mx("evil.test", 20, "worse\\010\\000.evil.test")
                .a("worse\\010\\000.evil.test", "192.0.2.66");

        List<MailHost> hosts = hosts(fixture.resolver().resolve("evil.test"));
        assertEquals("worse\\010\\000.evil.test", hosts.get(0).name());

        dns.remove("worse\\010\\000.evil.test");
        String reason = defer(fixture.resolver().resolve("evil.test"));
        assertTrue(reason.contains("bad\\013\\010host.evil.test has no address"), reason);
    }

    @Test
    void aDomainThatIsNoDomainNameBouncesWithoutAsking() {
        MxResolver resolver = fixture.resolver();

        assertEquals("\"evil??.test\" is not a domain name: it has the character '?'", bounce(resolver.resolve("evil\r\n.test")));
        assertTrue(bounce(resolver.resolve("a..test")).startsWith("\"a..test\" is not a domain name"));
        assertTrue(bounce(resolver.resolve("x".repeat(64) + ".test")).contains("is not a domain name"));
        assertTrue(bounce(resolver.resolve("exa mple.test")).contains("it has the character ' '"));
        assertEquals("the recipient domain is empty", bounce(resolver.resolve(" ")));
        assertEquals(0, dns.queries());
    }

    @Test
    void unicodeDomainsAreAskedForInTheirAsciiForm() {
        dns.mx("xn--bcher-kva.test", 10, "mx.xn--bcher-kva.test").a("mx.xn--bcher-kva.test", "192.0.2.12");

        assertEquals(List.of("mx.xn--bcher-kva.test"), names(hosts(fixture.resolver().resolve("b\u00fccher.test"))));
    }

    @Test
    void manyDeliveryThreadsResolveAtOnce() throws Exception {
        for (int d = 0; d < 5; d++) {
            dns.mx("d" + d + ".test", 10, "mx.d" + d + ".test").a("mx.d" + d + ".test", "192.0.2." + (d + 1));
        }
        MxResolver resolver = fixture.resolver();
        ExecutorService threads = Executors.newFixedThreadPool(16);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                int d = i % 5;
                Callable<List<String>> resolve = () -> addresses(hosts(resolver.resolve("d" + d + ".test")).get(0));
                results.add(threads.submit(resolve));
            }
            for (int i = 0; i < results.size(); i++) {
                assertEquals(List.of("192.0.2." + (i % 5 + 1)), results.get(i).get(30, TimeUnit.SECONDS));
            }
        } finally {
            threads.shutdownNow();
        }
        assertTrue(dns.queries() <= 5 * 3 * 16, "the cache answers most of them: " + dns.queries() + " queries");
    }

    @Test
    void resolveAfterCloseIsRefused() {
        MxResolver resolver = fixture.resolver();
        resolver.close();

        assertThrows(IllegalStateException.class, () -> resolver.resolve("example.test"));
        resolver.close(); // a second close does nothing
        assertFalse(resolver.servers().isEmpty());
    }
}
