package dev.outbox.adapter;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that an EHLO name the adapter accepts is either one its notices accept too or refused
 * by name. Before, outbox.helo-name took names (a trailing dot, a hyphen at either end) that the
 * notices' reporting MTA refuses, and with outbox.dsn-from unset (its default) the refusal was
 * reported through a null value: the adapter did not start, with a NullPointerException naming
 * no setting, where it started before notices existed.
 */
class HeloNameRefusedByNoticesTest {

    @ParameterizedTest
    @ValueSource(strings = {"mail.example.com.", "mail-", "-mail"})
    void anEhloNameTheNoticesRefuseIsRefusedByName(String helo) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("HeloName", helo, "Smarthost", "relay.example.com"), name -> null, "/tmp/outbox-data"));
        assertTrue(refused.getMessage().contains("outbox.helo-name"), refused.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"mail.example.com", "localhost", "192.0.2.1", "[IPv6:2001:db8::1]"})
    void anEhloNameTheNoticesAcceptStarts(String helo) {
        AdapterSettings settings = AdapterSettings.of(Map.of("HeloName", helo, "Smarthost", "relay.example.com"), name -> null,
                "/tmp/outbox-data");
        assertEquals("MAILER-DAEMON@" + settings.smtp().heloName(), settings.notices().writer().from());
    }
}
