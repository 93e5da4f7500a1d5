package dev.outbox.queue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A limit with a default and overrides by destination, as the settings
 * {@code outbox.connections-per-destination} and {@code outbox.messages-per-connection} write
 * it: {@code 4} (every destination), or {@code 4, example.com=10, relay.example.net:587=2}
 * (the default first, then {@code destination=value} pairs, the destination named as its queue
 * is: a domain, an address literal, or a smarthost's {@code host:port}). The default may be
 * left out ({@code example.com=10}), and then the built-in one holds.
 *
 * <p>Immutable. Misuse: {@link #parse} throws {@link IllegalArgumentException} naming the item
 * and its defect.
 *
 * @param defaultValue what a destination without an override gets
 * @param overrides    by destination name, in lower case
 */
public record PerDestination(int defaultValue, Map<String, Integer> overrides) {

    public PerDestination {
        overrides = Map.copyOf(overrides);
    }

    /** {@code value} for every destination. */
    public static PerDestination of(int value) {
        return new PerDestination(value, Map.of());
    }

    /** Reads the setting's text; each number must be in {@code min..max}. */
    public static PerDestination parse(String text, int builtInDefault, int min, int max) {
        int defaultValue = builtInDefault;
        Map<String, Integer> overrides = new LinkedHashMap<>();
        String[] items = text.split(",", -1);
        for (int k = 0; k < items.length; k++) {
            String item = items[k].strip();
            int equals = item.lastIndexOf('=');
            if (equals < 0) {
                if (k != 0) {
                    throw new IllegalArgumentException("\"" + NextHop.printable(item) + "\": only the first item may be a bare default; the others are destination=number");
                }
                defaultValue = number(item, min, max);
                continue;
            }
            String name;
            try {
                name = Destination.parse(item.substring(0, equals).strip()).name();
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("\"" + NextHop.printable(item) + "\": " + e.getMessage(), e);
            }
            if (overrides.put(name, number(item.substring(equals + 1).strip(), min, max)) != null) {
                throw new IllegalArgumentException("\"" + NextHop.printable(name) + "\" is given twice");
            }
        }
        return new PerDestination(defaultValue, overrides);
    }

    /** The value for the destination named {@code name}. */
    public int of(String name) {
        return overrides.getOrDefault(name, defaultValue);
    }

    private static int number(String text, int min, int max) {
        int value;
        try {
            value = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("\"" + NextHop.printable(text) + "\" is not a whole number in " + min + ".." + max);
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(value + " is outside " + min + ".." + max);
        }
        return value;
    }

    /** As the setting writes it: the default, then the overrides. */
    @Override
    public String toString() {
        return overrides.isEmpty() ? Integer.toString(defaultValue)
                : defaultValue + ", " + overrides.entrySet().stream().sorted(Map.Entry.comparingByKey())
                        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }
}
