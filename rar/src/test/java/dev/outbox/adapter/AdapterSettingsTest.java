package dev.outbox.adapter;

import dev.outbox.queue.NextHop;
import dev.outbox.queue.PerDestination;
import dev.outbox.routing.DnsServer;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves the adapter's defaults, the smarthost's order of precedence, the routing settings and the range checks. */
class AdapterSettingsTest {

    private static final Map<String, String> NO_ENVIRONMENT = Map.of();

    @Test
    void emptyPropertiesTakeTheDefaults() {
        AdapterSettings settings = AdapterSettings.of(Map.of("Smarthost", "", "MaxRecipients", "  "), NO_ENVIRONMENT::get, "/tmp/outbox-data");

        assertNull(settings.smarthost(), "no smarthost: route by MX");
        assertNull(settings.smarthostSource());
        assertEquals(List.of(), settings.dnsServers(), "the system's resolvers");
        assertEquals(25, settings.smtpPort());
        assertEquals(Duration.ofSeconds(30), settings.smtp().connectTimeout());
        assertEquals(Duration.ofSeconds(300), settings.smtp().readTimeout());
        assertEquals(10L * 1024 * 1024, settings.limits().maxMessageBytes());
        assertEquals(1000, settings.limits().maxRecipients());
        assertEquals(Path.of("/tmp/outbox-data", "outbox"), settings.storeDirectory());
        assertEquals(4L * 1024 * 1024 * 1024, settings.maxStoreBytes());
        assertEquals("1m,5m,15m,30m,1h,2h,4h", settings.policy().retrySchedule().toString());
        assertEquals(Duration.ofDays(2), settings.policy().maxAge());
        assertEquals(PerDestination.of(4), settings.policy().connectionsPerDestination());
        assertEquals(PerDestination.of(100), settings.policy().messagesPerConnection());
    }

    @Test
    void routingSettingsAreParsedAndChecked() {
        AdapterSettings settings = AdapterSettings.of(Map.of("DnsServers", "127.0.0.1:5353, [::1], dns.example.net", "SmtpPort", "2525",
                "ConnectionsPerDestination", "3, Example.COM=10, relay.example.net:587=1", "MessagesPerConnection", "example.org=5"),
                NO_ENVIRONMENT::get, "/tmp/outbox-data");
        assertEquals(List.of(new DnsServer("127.0.0.1", 5353), new DnsServer("::1", 53), new DnsServer("dns.example.net", 53)), settings.dnsServers());
        assertEquals(2525, settings.smtpPort());
        PerDestination connections = settings.policy().connectionsPerDestination();
        assertEquals(3, connections.of("elsewhere.example"));
        assertEquals(10, connections.of("example.com"), "domains compared without case");
        assertEquals(1, connections.of("relay.example.net:587"));
        assertEquals(100, settings.policy().messagesPerConnection().of("elsewhere.example"), "the built-in default when none is given");
        assertEquals(5, settings.policy().messagesPerConnection().of("example.org"));
        assertEquals("3, example.com=10, relay.example.net:587=1", connections.toString());

        assertRefused(Setting.SMTP_PORT, "0", "outbox.smtp-port is \"0\", outside 1..65535");
        assertRefused(Setting.DNS_SERVERS, "127.0.0.1:99999", "outbox.dns-servers is \"127.0.0.1:99999\": DNS servers \"127.0.0.1:99999\": entry 1:");
        assertRefused(Setting.CONNECTIONS_PER_DESTINATION, "4, 5", "only the first item may be a bare default");
        assertRefused(Setting.CONNECTIONS_PER_DESTINATION, "example.com=0", "0 is outside 1..100");
        assertRefused(Setting.CONNECTIONS_PER_DESTINATION, "bad_domain=2", "is not a domain name");
        assertRefused(Setting.CONNECTIONS_PER_DESTINATION, "a.example=2, A.example=3", "\"a.example\" is given twice");
        assertRefused(Setting.MESSAGES_PER_CONNECTION, "many", "\"many\" is not a whole number in 1..100000");
    }

    /** Refused with a message that starts with the system property an operator sets and the value. */
    private static void assertRefused(Setting setting, String value, String expected) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of(setting.bean(), value), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(refused.getMessage().contains(expected), refused.getMessage());
        assertTrue(refused.getMessage().startsWith(setting.key() + " is \""), refused.getMessage());
    }

    @Test
    void queueSettingsAreParsedAndChecked() {
        AdapterSettings settings = AdapterSettings.of(Map.of("StoreDirectory", "/var/outbox", "RetrySchedule", "1500ms, 2s",
                "MaxMessageAge", "3h", "ConnectionsPerDestination", "2"), NO_ENVIRONMENT::get, null);
        assertEquals(Path.of("/var/outbox"), settings.storeDirectory());
        assertEquals("1500ms,2s", settings.policy().retrySchedule().toString());
        assertEquals(Duration.ofHours(3), settings.policy().maxAge());
        assertEquals(PerDestination.of(2), settings.policy().connectionsPerDestination());

        IllegalArgumentException badSchedule = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("RetrySchedule", "1m,soon"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(badSchedule.getMessage().startsWith("outbox.retry-schedule is \"1m,soon\": duration \"soon\""), badSchedule.getMessage());
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("RetrySchedule", "1ms"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(tooShort.getMessage().startsWith("outbox.retry-schedule is \"1ms\": retry wait \"1ms\" is shorter than 1s"), tooShort.getMessage());
        IllegalArgumentException tooYoung = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("MaxMessageAge", "1ms"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(tooYoung.getMessage().contains("maximum message age 1ms must be at least 1m"), tooYoung.getMessage());
        IllegalArgumentException noDirectory = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of(), NO_ENVIRONMENT::get, null));
        assertTrue(noDirectory.getMessage().startsWith("outbox.store-directory is empty"), noDirectory.getMessage());
    }

    @Test
    void environmentVariableNamesTheSmarthostWhenThePropertyIsEmpty() {
        AdapterSettings settings = AdapterSettings.of(Map.of(), Map.of("OUTBOX_SMARTHOST", "relay.example.com:2525")::get, "/tmp/outbox-data");

        assertEquals(new NextHop("relay.example.com", 2525), settings.smarthost());
        assertEquals("OUTBOX_SMARTHOST", settings.smarthostSource());
    }

    @Test
    void propertyWinsOverTheEnvironment() {
        AdapterSettings settings = AdapterSettings.of(Map.of("Smarthost", "[::1]:587"),
                Map.of("OUTBOX_SMARTHOST", "relay.example.com:2525")::get, "/tmp/outbox-data");

        assertEquals(new NextHop("::1", 587), settings.smarthost());
        assertEquals("outbox.smarthost", settings.smarthostSource());
    }

    @Test
    void valuesAreParsedAndKept() {
        AdapterSettings settings = AdapterSettings.of(Map.of("HeloName", "mta.example.com", "ConnectTimeoutSeconds", "5",
                "ReadTimeoutSeconds", "60", "MaxMessageSizeBytes", "2048", "MaxRecipients", "3"), NO_ENVIRONMENT::get, "/tmp/outbox-data");

        assertEquals("mta.example.com", settings.smtp().heloName());
        assertEquals(Duration.ofSeconds(5), settings.smtp().connectTimeout());
        assertEquals(Duration.ofSeconds(60), settings.smtp().readTimeout());
        assertEquals(2048, settings.limits().maxMessageBytes());
        assertEquals(3, settings.limits().maxRecipients());
    }

    @Test
    void badValuesNameThePropertyTheValueAndTheRange() {
        IllegalArgumentException notNumber = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("MaxRecipients", "lots"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertEquals("outbox.max-recipients is \"lots\", not a whole number in 1..100000", notNumber.getMessage());

        IllegalArgumentException outOfRange = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("ReadTimeoutSeconds", "0"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertEquals("outbox.read-timeout-seconds is \"0\", outside 1..3600", outOfRange.getMessage());

        IllegalArgumentException badHost = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of(), Map.of("OUTBOX_SMARTHOST", "relay:smtp")::get, "/tmp/outbox-data"));
        assertTrue(badHost.getMessage().startsWith("OUTBOX_SMARTHOST is \"relay:smtp\": "), badHost.getMessage());

        IllegalArgumentException badHelo = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("HeloName", "bad name\r\n"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(badHelo.getMessage().startsWith("outbox.helo-name is \"bad name\": HELO name"), badHelo.getMessage());

        IllegalArgumentException badRelay = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("Smarthost", "relay:smtp"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(badRelay.getMessage().startsWith("outbox.smarthost is \"relay:smtp\": "), badRelay.getMessage());
    }
}
