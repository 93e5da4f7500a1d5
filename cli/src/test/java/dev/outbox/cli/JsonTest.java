package dev.outbox.cli;

import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import org.junit.jupiter.api.Test;

import java.io.StringReader;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-written JSON, read back by a real parser (Parsson, as WildFly ships it). */
class JsonTest {

    @Test
    void everyKindOfValueReadsBackAsWritten() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("text", "plain");
        value.put("int", 42);
        value.put("long", 1L << 40);
        value.put("negative", -1);
        value.put("yes", true);
        value.put("no", false);
        value.put("nothing", null);
        value.put("empty", Map.of());
        value.put("none", List.of());
        value.put("list", List.of("a", 1, Map.of("nested", "b")));

        JsonObject read = parse(dev.outbox.cli.Json.write(value));

        assertEquals("plain", read.getString("text"));
        assertEquals(42, read.getInt("int"));
        assertEquals(1L << 40, read.getJsonNumber("long").longValueExact());
        assertEquals(-1, read.getInt("negative"));
        assertTrue(read.getBoolean("yes"));
        assertEquals(false, read.getBoolean("no"));
        assertTrue(read.isNull("nothing"));
        assertTrue(read.getJsonObject("empty").isEmpty());
        assertTrue(read.getJsonArray("none").isEmpty());
        JsonArray list = read.getJsonArray("list");
        assertEquals("a", list.getString(0));
        assertEquals(1, list.getInt(1));
        assertEquals("b", list.getJsonObject(2).getString("nested"));
        assertEquals(List.of("text", "int", "long", "negative", "yes", "no", "nothing", "empty", "none", "list"),
                List.copyOf(read.keySet()), "fields in the map's order");
    }

    @Test
    void stringsWithQuotesBackslashesControlsAndUnicodeSurviveAndTheOutputIsAscii() {
        String tricky = "say \"hi\" \\ back\r\nnext\tline \u0000\u001b[0m \u007f Grüße 日本 \uD83D\uDCE7 \u2028";

        String written = dev.outbox.cli.Json.write(Map.of("s", tricky));

        assertEquals(tricky, parse(written).getString("s"));
        assertTrue(written.chars().allMatch(c -> c == '\n' || c >= 0x20 && c < 0x7f), "printable ASCII only: " + written);
        assertTrue(written.endsWith("}\n"), written);
    }

    @Test
    void anyOtherTypeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> dev.outbox.cli.Json.write(Map.of("d", 1.5)));
        assertThrows(IllegalArgumentException.class, () -> dev.outbox.cli.Json.write(Map.of(1, "key not a string")));
        assertThrows(IllegalArgumentException.class, () -> dev.outbox.cli.Json.write(Arrays.asList(new Object())));
    }

    static JsonObject parse(String json) {
        try (JsonReader reader = Json.createReader(new StringReader(json))) {
            return reader.readObject();
        }
    }
}
