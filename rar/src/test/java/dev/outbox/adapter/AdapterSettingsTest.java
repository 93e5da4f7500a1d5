package dev.outbox.adapter;

import dev.outbox.queue.NextHop;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves the adapter's defaults, the smarthost's order of precedence and the range checks. */
class AdapterSettingsTest {

    private static final Map<String, String> NO_ENVIRONMENT = Map.of();

    @Test
    void emptyPropertiesTakeTheDefaults() {
        AdapterSettings settings = AdapterSettings.of(Map.of("Smarthost", "", "MaxRecipients", "  "), NO_ENVIRONMENT::get, "/tmp/outbox-data");

        assertEquals(new NextHop("localhost", 25), settings.smarthost());
        assertEquals("default", settings.smarthostSource());
        assertEquals(Duration.ofSeconds(30), settings.smtp().connectTimeout());
        assertEquals(Duration.ofSeconds(300), settings.smtp().readTimeout());
        assertEquals(10L * 1024 * 1024, settings.limits().maxMessageBytes());
        assertEquals(1000, settings.limits().maxRecipients());
        assertEquals(Path.of("/tmp/outbox-data", "outbox"), settings.storeDirectory());
        assertEquals(4L * 1024 * 1024 * 1024, settings.maxStoreBytes());
        assertEquals("1m,5m,15m,30m,1h,2h,4h", settings.policy().retrySchedule().toString());
        assertEquals(Duration.ofDays(2), settings.policy().maxAge());
        assertEquals(4, settings.policy().connectionsPerDestination());
        assertEquals(100, settings.policy().messagesPerConnection());
    }

    @Test
    void queueSettingsAreParsedAndChecked() {
        AdapterSettings settings = AdapterSettings.of(Map.of("StoreDirectory", "/var/outbox", "RetrySchedule", "1500ms, 2s",
                "MaxMessageAge", "3h", "ConnectionsPerDestination", "2"), NO_ENVIRONMENT::get, null);
        assertEquals(Path.of("/var/outbox"), settings.storeDirectory());
        assertEquals("1500ms,2s", settings.policy().retrySchedule().toString());
        assertEquals(Duration.ofHours(3), settings.policy().maxAge());
        assertEquals(2, settings.policy().connectionsPerDestination());

        IllegalArgumentException badSchedule = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("RetrySchedule", "1m,soon"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(badSchedule.getMessage().startsWith("RetrySchedule is \"1m,soon\": duration \"soon\""), badSchedule.getMessage());
        IllegalArgumentException tooShort = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("RetrySchedule", "1ms"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(tooShort.getMessage().startsWith("RetrySchedule is \"1ms\": retry wait \"1ms\" is shorter than 1s"), tooShort.getMessage());
        IllegalArgumentException tooYoung = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("MaxMessageAge", "1ms"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertTrue(tooYoung.getMessage().contains("maximum message age 1ms must be at least 1m"), tooYoung.getMessage());
        IllegalArgumentException noDirectory = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of(), NO_ENVIRONMENT::get, null));
        assertTrue(noDirectory.getMessage().startsWith("StoreDirectory is empty"), noDirectory.getMessage());
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
        assertEquals("Smarthost", settings.smarthostSource());
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
        assertEquals("MaxRecipients is \"lots\", not a whole number in 1..100000", notNumber.getMessage());

        IllegalArgumentException outOfRange = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("ReadTimeoutSeconds", "0"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
        assertEquals("ReadTimeoutSeconds is 0, outside 1..3600", outOfRange.getMessage());

        IllegalArgumentException badHost = assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of(), Map.of("OUTBOX_SMARTHOST", "relay:smtp")::get, "/tmp/outbox-data"));
        assertTrue(badHost.getMessage().startsWith("smarthost (OUTBOX_SMARTHOST): "), badHost.getMessage());

        assertThrows(IllegalArgumentException.class,
                () -> AdapterSettings.of(Map.of("HeloName", "bad name\r\n"), NO_ENVIRONMENT::get, "/tmp/outbox-data"));
    }
}
