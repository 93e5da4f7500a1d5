package dev.outbox.delivery;

import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the EHLO name on the wire: an IP address goes as the address literal RFC 5321 section
 * 4.1.4 requires, a host name as it is; a name with CR or LF is refused before any connection.
 */
class HeloNameTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @ParameterizedTest(name = "{0} -> EHLO {1}")
    @CsvSource({
            "127.0.0.1, [127.0.0.1]",
            "::1, [IPv6:::1]",
            "2001:db8::25, [IPv6:2001:db8::25]",
            "mail.example.org, mail.example.org",
            "[192.0.2.1], [192.0.2.1]",
            "[IPv6:2001:db8::1], [IPv6:2001:db8::1]",
    })
    void ehloCarriesTheNameOrAddressLiteral(String configured, String sent) throws Exception {
        SmtpSettings settings = new SmtpSettings(configured, TIMEOUT, TIMEOUT);
        assertEquals(sent, settings.heloName());

        try (SmtpDeliverer deliverer = new SmtpDeliverer(settings);
             Deliverer.Connection connection = deliverer.connect(new NextHop(server.host(), server.port()), TIMEOUT)) {
            assertFalse(connection.isBroken());
        }

        assertTrue(server.transcript().contains("1 C: EHLO " + sent), server.transcript().toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mail.example.org\r\nMAIL FROM:<forged@example.org>", "mail.example.org\n", "mail\rexample.org", "\r\n"})
    void nameWithCrOrLfIsRefused(String name) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> new SmtpSettings(name, TIMEOUT, TIMEOUT));

        assertFalse(refused.getMessage().contains("\r") || refused.getMessage().contains("\n"),
                "the message must not carry the raw line break: " + refused.getMessage());
        assertTrue(refused.getMessage().contains("HELO name"), refused.getMessage());
    }
}
