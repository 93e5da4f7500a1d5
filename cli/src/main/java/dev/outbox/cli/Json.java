package dev.outbox.cli;

import java.util.List;
import java.util.Map;

/**
 * Writes a value as JSON (RFC 8259), indented by two spaces, ending in a newline. A value is null,
 * a String, a Boolean, an Integer or Long, a {@code Map<String, ?>} (an object, in the map's
 * order: give it a LinkedHashMap for stable output) or a {@code List<?>} (an array). The output is
 * ASCII: every character outside printable ASCII is escaped (backslash, u, four hex digits), so it reads the same
 * in any terminal encoding. Stateless.
 *
 * <p>Misuse: any other type (a double included: the command has none) throws
 * IllegalArgumentException.
 */
final class Json {

    private Json() {
    }

    static String write(Object value) {
        StringBuilder out = new StringBuilder();
        write(out, value, 0);
        return out.append('\n').toString();
    }

    private static void write(StringBuilder out, Object value, int depth) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof String text) {
            quote(out, text);
        } else if (value instanceof Boolean || value instanceof Integer || value instanceof Long) {
            out.append(value);
        } else if (value instanceof Map<?, ?> map) {
            if (map.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            String separator = "\n";
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String name)) {
                    throw new IllegalArgumentException("a JSON object's names are strings, not " + entry.getKey());
                }
                out.append(separator);
                indent(out, depth + 1);
                quote(out, name);
                out.append(": ");
                write(out, entry.getValue(), depth + 1);
                separator = ",\n";
            }
            out.append('\n');
            indent(out, depth);
            out.append('}');
        } else if (value instanceof List<?> list) {
            if (list.isEmpty()) {
                out.append("[]");
                return;
            }
            out.append('[');
            String separator = "\n";
            for (Object element : list) {
                out.append(separator);
                indent(out, depth + 1);
                write(out, element, depth + 1);
                separator = ",\n";
            }
            out.append('\n');
            indent(out, depth);
            out.append(']');
        } else {
            throw new IllegalArgumentException("no JSON for a " + value.getClass().getName() + ": " + value);
        }
    }

    /** {@code text} as a JSON string, quotes included. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder();
        quote(out, text);
        return out.toString();
    }

    private static void quote(StringBuilder out, String text) {
        out.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void indent(StringBuilder out, int depth) {
        out.append("  ".repeat(depth));
    }
}
