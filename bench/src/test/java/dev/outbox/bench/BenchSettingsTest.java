package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The flags of bench/run: defaults, the lane choice, the delivery lane's flags, and refusals that name the flag. */
class BenchSettingsTest {

    @Test
    void withoutFlagsEveryLaneRunsWithTheDocumentedDefaults() {
        BenchSettings settings = BenchSettings.parse(new String[0]);

        assertEquals(Set.of(BenchSettings.Lane.STORE, BenchSettings.Lane.DELIVERY, BenchSettings.Lane.MERGE, BenchSettings.Lane.SCALE,
                        BenchSettings.Lane.SUBMIT),
                settings.lanes());
        assertEquals(20_000, settings.deliveries());
        assertEquals(4096, settings.deliveryBytes());
        assertEquals(3, settings.deliveryRuns());
        assertEquals(Path.of("/usr/sbin/smtp-sink"), settings.smtpSink());
        assertEquals(16, settings.submitters());
        assertEquals(1_000_000, settings.backlog());
        assertEquals(10_000, settings.mergeRecipients());
        assertEquals(200, settings.mergeRate());
        assertEquals(1_000_000, settings.scaleMessages());
        assertEquals(1024, settings.scaleBytes());
        assertEquals(3, settings.scaleRestarts());
        assertEquals(List.of("1x1", "1x10", "100x1", "100x10"), settings.deliveryVariants());
        assertFalse(settings.profile());
        assertEquals(Path.of("/usr/sbin"), settings.postfixPrograms());
    }

    @Test
    void theDeliveryVariantsAreTakenInOrderAndProfileNeedsNoValue() {
        BenchSettings settings = BenchSettings.parse(new String[]{"--profile", "--delivery-variants", "100X10, 1x1", "--deliveries", "500"});

        assertTrue(settings.profile());
        assertEquals(List.of("100x10", "1x1"), settings.deliveryVariants());
        assertEquals(List.of(100, 1), settings.deliveryBacklogs().stream().map(DeliveryBacklog::destinations).toList());
        assertEquals(500, settings.deliveryBacklogs().get(0).messages());
    }

    @Test
    void onlyPicksOneLaneInAnyCaseAndALaterFlagWins() {
        BenchSettings delivery = BenchSettings.parse(new String[]{"--only", "store", "--only", "Delivery"});

        assertTrue(delivery.measures(BenchSettings.Lane.DELIVERY));
        assertFalse(delivery.measures(BenchSettings.Lane.STORE));
        assertEquals(Set.of(BenchSettings.Lane.STORE), BenchSettings.parse(new String[]{"--only", "STORE"}).lanes());
    }

    @Test
    void theDeliveryLaneTakesItsSizeRunsAndSink() {
        BenchSettings settings = BenchSettings.parse(new String[]{"--deliveries", "5_000", "--delivery-bytes", "1024",
                "--delivery-runs", "5", "--smtp-sink", "/opt/postfix/smtp-sink"});

        assertEquals(5_000, settings.deliveries());
        assertEquals(1024, settings.deliveryBytes());
        assertEquals(5, settings.deliveryRuns());
        assertEquals(Path.of("/opt/postfix/smtp-sink"), settings.smtpSink());
    }

    @Test
    void badValuesAreRefusedNamingTheFlagAndWhatItTakes() {
        assertEquals("flag --only: 'disk' is not a lane: store, delivery, merge, scale or submit",
                refusal("--only", "disk"));
        assertEquals("flag --deliveries: 99 is outside 100..10000000", refusal("--deliveries", "99"));
        assertEquals("flag --delivery-bytes: 'big' is not a whole number", refusal("--delivery-bytes", "big"));
        assertEquals("flag --delivery-runs: 0 is outside 1..50", refusal("--delivery-runs", "0"));
        assertEquals("flag --deliveries needs a value", refusal("--deliveries"));
        assertEquals("flag --merge-recipients: 99 is outside 100..1000000", refusal("--merge-recipients", "99"));
        assertEquals("flag --merge-rate: 0 is outside 10..10000", refusal("--merge-rate", "0"));
        assertEquals("flag --scale-messages: 999 is outside 1000..50000000", refusal("--scale-messages", "999"));
        assertEquals("flag --scale-restarts: 0 is outside 1..20", refusal("--scale-restarts", "0"));
        assertEquals("unknown flag --messages", refusal("--messages", "10"));
        assertEquals("flag --delivery-variants: '10' is not DESTINATIONSxRECIPIENTS, as in 100x10", refusal("--delivery-variants", "10"));
        assertEquals("flag --delivery-variants: 1x1 is given twice", refusal("--delivery-variants", "1x1,1X1"));
        assertEquals("flags --deliveries and --delivery-variants: 100 messages cannot reach 200 destinations",
                refusal("--deliveries", "100", "--delivery-variants", "200x1"));
    }

    private static String refusal(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> BenchSettings.parse(args)).getMessage();
    }
}
