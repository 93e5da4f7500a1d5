package dev.outbox.queue;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves how destinations are named and read back: domains in lower case, address literals, smarthosts as host:port. */
class DestinationTest {

    @Test
    void aRecipientsDomainIsItsDestinationInLowerCase() {
        Destination destination = Destination.ofRecipient("Ann@Mail.Example.COM");
        assertEquals("mail.example.com", destination.name());
        assertFalse(destination.isSmarthost());
        assertEquals(destination, Destination.parse("mail.example.com"));
    }

    @Test
    void addressLiteralsAreDestinationsOfTheirOwn() {
        assertEquals("[192.0.2.1]", Destination.ofRecipient("ann@[192.0.2.1]").name());
        assertEquals("[IPv6:2001:db8::1]", Destination.ofRecipient("ann@[ipv6:2001:DB8::1]").name());
        assertEquals(Destination.domain("[192.0.2.1]"), Destination.parse("[192.0.2.1]"));
        assertThrows(IllegalArgumentException.class, () -> Destination.domain("[192.0.2.1"));
        assertThrows(IllegalArgumentException.class, () -> Destination.domain("[not-an-address]"));
    }

    @Test
    void aSmarthostIsNamedHostColonPortAndReadBack() {
        Destination relay = Destination.smarthost(new NextHop("relay.example.net", 587));
        assertEquals("relay.example.net:587", relay.name());
        assertTrue(relay.isSmarthost());
        assertEquals(relay, Destination.parse("relay.example.net:587"));
        Destination v6 = Destination.smarthost(new NextHop("::1", 25));
        assertEquals("[::1]:25", v6.name());
        assertEquals(v6, Destination.parse("[::1]:25"));
    }

    @Test
    void badDomainsAreRefusedNamingThem() {
        for (String bad : new String[] {"", "-a.example", "a..example", "a_b.example", "a.example\r\nRCPT TO:<x>"}) {
            IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> Destination.domain(bad), bad);
            assertFalse(refused.getMessage().contains("\r") || refused.getMessage().contains("\n"), refused.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Destination.ofRecipient("no-domain"));
    }
}
