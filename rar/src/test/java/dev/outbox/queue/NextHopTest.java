package dev.outbox.queue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that next hops parse from host:port, bare host and [IPv6]:port, and that bad text is refused with its reason. */
class NextHopTest {

    private static final int DEFAULT_PORT = 25;

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("valid")
    void parses(String text, String host, int port, String shown) {
        NextHop nextHop = NextHop.parse(text, DEFAULT_PORT);

        assertEquals(new NextHop(host, port), nextHop);
        assertEquals(shown, nextHop.toString());
    }

    static Stream<Arguments> valid() {
        return Stream.of(
                Arguments.of("mx.example.org:2525", "mx.example.org", 2525, "mx.example.org:2525"),
                Arguments.of("mx.example.org", "mx.example.org", DEFAULT_PORT, "mx.example.org:25"),
                Arguments.of("  mx.example.org:587\n", "mx.example.org", 587, "mx.example.org:587"),
                Arguments.of("192.0.2.7:65535", "192.0.2.7", 65535, "192.0.2.7:65535"),
                Arguments.of("localhost:1", "localhost", 1, "localhost:1"),
                Arguments.of("[::1]:2525", "::1", 2525, "[::1]:2525"),
                Arguments.of("[2001:db8::25]", "2001:db8::25", DEFAULT_PORT, "[2001:db8::25]:25"),
                // Without brackets, more than one colon can only be an IPv6 address.
                Arguments.of("::1", "::1", DEFAULT_PORT, "[::1]:25"));
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @MethodSource("invalid")
    void refusesNamingTheDefect(String text, String message) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NextHop.parse(text, DEFAULT_PORT));

        assertEquals(message, e.getMessage());
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                Arguments.of("mx.example.org:smtp", "next hop \"mx.example.org:smtp\" has port \"smtp\", which is not a number"),
                Arguments.of("mx.example.org:", "next hop \"mx.example.org:\" has port \"\", which is not a number"),
                Arguments.of("mx.example.org:99999999999", "next hop \"mx.example.org:99999999999\" has port \"99999999999\", which is not a number"),
                Arguments.of("mx.example.org:0", "next hop port 0 is outside 1..65535"),
                Arguments.of("mx.example.org:65536", "next hop port 65536 is outside 1..65535"),
                Arguments.of("mx.example.org:-25", "next hop port -25 is outside 1..65535"),
                Arguments.of("[::1]:x", "next hop \"[::1]:x\" has port \"x\", which is not a number"),
                Arguments.of("[::1]2525", "next hop \"[::1]2525\": expected ':port' after ']'"),
                Arguments.of("[::1:2525", "next hop \"[::1:2525\" opens '[' without closing it"),
                Arguments.of(":2525", "next hop has no host"),
                Arguments.of("[]:2525", "next hop has no host"),
                Arguments.of("", "next hop is empty: expected host:port"),
                Arguments.of(" \t", "next hop is empty: expected host:port"),
                Arguments.of(null, "next hop is empty: expected host:port"),
                Arguments.of("mx_1.example.org", "next hop host \"mx_1.example.org\" has '_', which no host name or address has"),
                Arguments.of("mx.exämple.org", "next hop host \"mx.exämple.org\" has 'ä', which no host name or address has"),
                Arguments.of("user@mx.example.org:25", "next hop host \"user@mx.example.org\" has '@', which no host name or address has"));
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "mx.example.org\r\nRCPT TO:<x@example.org>",
            "mx\n.example.org:25",
            "mx\0.example.org",
            "[::1\r\n]:25",
            "mx.example.org:25\r\n5",
            "mx.example.org:2\r\n5",
            "[::1\r\n",
            "[::1]\r\n:25",
    })
    void refusesControlCharactersWithoutRepeatingThem(String text) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NextHop.parse(text, DEFAULT_PORT));

        // The message reaches the server log: a raw CR or LF would forge a log line.
        assertTrue(e.getMessage().startsWith("next hop"), e.getMessage());
        assertFalse(e.getMessage().chars().anyMatch(c -> c < 0x20 || c == 0x7f), e.getMessage());
    }

    @Test
    void refusesAPortOutOfRangeWhenBuilt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new NextHop("mx.example.org", 70000));

        assertEquals("next hop port 70000 is outside 1..65535", e.getMessage());
    }

    @Test
    void refusesAnOutOfRangeDefaultPort() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NextHop.parse("mx.example.org", 0));

        assertEquals("next hop port 0 is outside 1..65535", e.getMessage());
    }
}
