package dev.outbox.bench.soak;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The flags of bench/soak: the documented defaults, a later flag winning, and refusals that name the flag. */
class SoakSettingsTest {

    @Test
    void withoutFlagsTheSoakHasTheDocumentedDefaults() {
        SoakSettings settings = SoakSettings.parse(new String[0]);

        assertEquals(10_000, settings.messages());
        assertEquals(3, settings.kills());
        assertEquals(4, settings.destinations());
        assertEquals(Duration.ofSeconds(150), settings.submitSeconds());
        assertEquals(4, settings.submitters());
        assertEquals(Duration.ofMinutes(5), settings.drainLimit());
        assertEquals(300, settings.portOffset());
        assertEquals(Path.of("target", "soak"), settings.work());
    }

    @Test
    void aLaterFlagWinsSoTheScriptsDefaultsGoFirst() {
        SoakSettings settings = SoakSettings.parse(new String[]{"--messages", "500", "--kills", "1", "--messages", "2_000",
                "--work", "/tmp/soak", "--seed", "-7"});

        assertEquals(2_000, settings.messages());
        assertEquals(1, settings.kills());
        assertEquals(-7, settings.seed());
        assertEquals(Path.of("/tmp/soak"), settings.work());
    }

    @Test
    void badValuesAreRefusedNamingTheFlagAndWhatItTakes() {
        assertEquals("flag --kills: 21 is outside 0..20", refusal("--kills", "21"));
        assertEquals("flag --destinations: 10 is outside 1..9", refusal("--destinations", "10"));
        assertEquals("flag --messages: 'many' is not a whole number", refusal("--messages", "many"));
        assertEquals("flag --messages needs a value", refusal("--messages"));
        assertEquals("unknown flag --only", refusal("--only", "store"));
    }

    private static String refusal(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> SoakSettings.parse(args)).getMessage();
    }
}
