package dev.outbox.routing;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.outbox.routing.ResolverFixture.addresses;
import static dev.outbox.routing.ResolverFixture.bounce;
import static dev.outbox.routing.ResolverFixture.defer;
import static dev.outbox.routing.ResolverFixture.hosts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Address literals (RFC 5321 section 4.1.3) route to their address with no DNS question at all;
 * a malformed one bounces saying what is wrong; an IPv6 one defers while IPv6 is unreachable.
 */
class AddressLiteralTest {

    @AutoClose
    private final ResolverFixture fixture = new ResolverFixture();

    @Test
    void anIpv4LiteralIsThatAddress() {
        List<MailHost> hosts = hosts(fixture.resolver().resolve("[192.0.2.1]"));

        assertEquals(1, hosts.size());
        assertEquals("[192.0.2.1]", hosts.get(0).name());
        assertEquals(0, hosts.get(0).preference());
        assertEquals(List.of("192.0.2.1"), addresses(hosts.get(0)));
        assertEquals(0, fixture.dns.queries(), "no DNS lookup for a literal");
    }

    @Test
    void anIpv6LiteralIsThatAddressWhateverTheCaseOfItsTag() {
        assertEquals(List.of("2001:db8:0:0:0:0:0:1"), addresses(hosts(fixture.resolver().resolve("[IPv6:2001:db8::1]")).get(0)));
        assertEquals(List.of("2001:db8:0:0:0:0:0:2"), addresses(hosts(fixture.resolver().resolve("[ipv6:2001:DB8::2]")).get(0)));
        assertEquals(0, fixture.dns.queries());
    }

    @Test
    void anIpv6LiteralDefersWhileTheJvmIsIpv4Only() {
        MxResolver ipv4Only = fixture.resolver(fixture.settings().withPreferIPv4Stack(true));

        String reason = defer(ipv4Only.resolve("[IPv6:2001:db8::1]"));

        assertTrue(reason.contains("is an IPv6 address, and java.net.preferIPv4Stack=true"), reason);
        assertEquals(List.of("192.0.2.7"), addresses(hosts(ipv4Only.resolve("[192.0.2.7]")).get(0)));
    }

    @Test
    void malformedLiteralsBounceSayingWhatIsWrong() {
        MxResolver resolver = fixture.resolver();

        assertEquals("address literal [192.0.2.300] is malformed: \"192.0.2.300\" is not an IPv4 address",
                bounce(resolver.resolve("[192.0.2.300]")));
        assertEquals("address literal [192.0.2] is malformed: \"192.0.2\" is not an IPv4 address", bounce(resolver.resolve("[192.0.2]")));
        assertEquals("address literal [example.test] is malformed: \"example.test\" is not an IPv4 address",
                bounce(resolver.resolve("[example.test]")));
        assertEquals("address literal [IPv6:2001:db8::g] is malformed: \"2001:db8::g\" is not an IPv6 address",
                bounce(resolver.resolve("[IPv6:2001:db8::g]")));
        assertEquals("address literal [2001:db8::1] has a tag other than IPv6, which Outbox cannot deliver to",
                bounce(resolver.resolve("[2001:db8::1]")));
        assertEquals("address literal [192.0.2.1 is malformed: it must be [IPv4 address] or [IPv6:address]",
                bounce(resolver.resolve("[192.0.2.1")));
        assertEquals("address literal [] is malformed: it must be [IPv4 address] or [IPv6:address]", bounce(resolver.resolve("[]")));
        assertEquals("address literal [192.0.2.1 ] is malformed: \"192.0.2.1 \" is not an IPv4 address",
                bounce(resolver.resolve("[192.0.2.1\r\n]")), "the reason stays one line");
        assertEquals(0, fixture.dns.queries());
    }
}
