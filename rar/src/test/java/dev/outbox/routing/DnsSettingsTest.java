package dev.outbox.routing;

import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The {@code outbox.dns-servers} text as an administrator writes it, and every way it can be
 * wrong, each refused naming the text and the problem; the settings' ranges.
 */
class DnsSettingsTest {

    @Test
    void serversAreHostsWithOptionalPortsSeparatedByCommas() {
        assertEquals(List.of(new DnsServer("127.0.0.1", 53), new DnsServer("127.0.0.2", 5353), new DnsServer("::1", 5300),
                        new DnsServer("2001:db8::53", 53), new DnsServer("ns.example.test", 53), new DnsServer("::1", 53)),
                DnsServer.parseList(" 127.0.0.1, 127.0.0.2:5353,[::1]:5300 , 2001:db8::53,ns.example.test,[::1]"));
        assertEquals(List.of(), DnsServer.parseList(null));
        assertEquals(List.of(), DnsServer.parseList("  "), "blank: the system's resolvers");
        assertEquals("[::1]:5300", DnsServer.parse("[::1]:5300").toString());
        assertEquals("127.0.0.1:53", DnsServer.parse("127.0.0.1").toString());
    }

    @Test
    void badServerTextIsRefusedNamingTheTextTheEntryAndTheProblem() {
        assertRefused("127.0.0.1,,127.0.0.2", "DNS servers \"127.0.0.1,,127.0.0.2\": entry 2: empty, expected host[:port]");
        assertRefused("127.0.0.1,", "DNS servers \"127.0.0.1,\": entry 2: empty, expected host[:port]");
        assertRefused("127.0.0.1:dns", "entry 1: \"127.0.0.1:dns\" has port \"dns\", which is not a number");
        assertRefused("127.0.0.1:-53", "has port \"-53\", which is not a number");
        assertRefused("127.0.0.1:0", "entry 1: DNS server port 0 is outside 1..65535");
        assertRefused("127.0.0.1:65536", "DNS server port 65536 is outside 1..65535");
        assertRefused("[::1:53", "\"[::1:53\" opens '[' without closing it");
        assertRefused("[::1]53", "\"[::1]53\": expected ':port' after ']'");
        assertRefused("[127.0.0.1]:53", "brackets are for IPv6 addresses, and \"127.0.0.1\" is not one");
        assertRefused("300.0.0.1", "DNS server host \"300.0.0.1\" is not an IPv4 address");
        assertRefused("2001:db8::zz", "DNS server host \"2001:db8::zz\" is not an IPv6 address");
        assertRefused("ns_1.example.test", "DNS server host \"ns_1.example.test\" is not a host name");
        assertRefused("ns.example.test\r\n:53", "DNS servers \"ns.example.test??:53\": entry 1: DNS server host \"ns.example.test??\" is not a host name");
    }

    @Test
    void aServerNamedByHostNameIsLookedUpOnce() {
        InetSocketAddress address = DnsServer.parse("localhost:5353").socketAddress();

        assertTrue(address.getAddress().isLoopbackAddress());
        assertEquals(5353, address.getPort());
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        DnsSettings defaults = DnsSettings.defaults();
        assertEquals(List.of(), defaults.servers());
        assertEquals(Duration.ofSeconds(5), defaults.queryTimeout());
        assertEquals(Duration.ofSeconds(30), defaults.lookupTimeout());

        assertRefusedSetting(() -> defaults.withTimeouts(Duration.ZERO, Duration.ofSeconds(1)), "DNS query timeout PT0S is outside");
        assertRefusedSetting(() -> defaults.withTimeouts(Duration.ofSeconds(5), Duration.ofSeconds(1)), "DNS lookup timeout PT1S is outside PT5S..");
        assertRefusedSetting(() -> defaults.withCache(-1, Duration.ofHours(1), Duration.ofMinutes(5)), "DNS cache size -1 is outside 0..");
        assertRefusedSetting(() -> defaults.withCache(10, Duration.ofSeconds(-1), Duration.ofMinutes(5)), "DNS cache max TTL PT-1S is outside");
        assertRefusedSetting(() -> defaults.withServers(null), "DNS servers: null");
    }

    @Test
    void anIpv6ServerIsRefusedWhileTheJvmIsIpv4Only() {
        DnsSettings settings = DnsSettings.defaults().withServers(DnsServer.parseList("[::1]:5353")).withPreferIPv4Stack(true);

        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new MxResolver(settings));

        assertTrue(refused.getMessage().contains("DNS server [0:0:0:0:0:0:0:1]:5353 has an IPv6 address"), refused.getMessage());
    }

    @Test
    void withoutServersTheSystemsResolversAreAsked() {
        try (MxResolver resolver = new MxResolver(DnsSettings.defaults().withPreferIPv4Stack(false))) {
            assertFalse(resolver.servers().isEmpty(), "dnsjava's ResolverConfig always names one, at least 127.0.0.1:53");
        }
    }

    private static void assertRefused(String text, String expected) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> DnsServer.parseList(text));
        assertTrue(refused.getMessage().contains(expected), "expected \"" + expected + "\" in: " + refused.getMessage());
        assertFalse(refused.getMessage().chars().anyMatch(Character::isISOControl), refused.getMessage());
    }

    private static void assertRefusedSetting(org.junit.jupiter.api.function.Executable setting, String expected) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, setting);
        assertTrue(refused.getMessage().contains(expected), "expected \"" + expected + "\" in: " + refused.getMessage());
    }
}
