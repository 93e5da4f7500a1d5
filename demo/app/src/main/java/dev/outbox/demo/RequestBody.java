package dev.outbox.demo;

import jakarta.json.Json;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonLocation;
import jakarta.json.stream.JsonParser;
import jakarta.json.stream.JsonParsingException;

import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The body of a {@code POST /messages}, read at the door: at most {@link #LIMIT} bytes, decoded
 * as UTF-8, and a JSON object nested at most {@link #MAX_DEPTH} levels deep.
 *
 * <p>{@link #read} refuses a body whose declared {@code Content-Length} is over the limit before
 * reading any of it; a body of undeclared length (chunked) is read up to one byte past the limit
 * and refused there. The bytes are decoded as UTF-8 whatever charset the request names (a
 * malformed sequence becomes U+FFFD). The JSON is read with a streaming parser that stops at the
 * first value nested deeper than the contract needs (an object of strings and arrays of strings),
 * so the depth a body can make the server walk is {@link #MAX_DEPTH}, whatever Parsson's own
 * {@code org.eclipse.parsson.maxDepth} is set to: Parsson 1.1.7, in WildFly 39, stops a tree
 * reader at 1000 levels with a plain {@code RuntimeException} (a 500), and a reader with a higher
 * setting, or a version without it, recurses as deep as the input goes. Fields outside the
 * contract are kept, within the same depth. The caller closes the stream.
 *
 * <p>Stateless; safe from any thread. Everything it refuses comes as a {@link Refusal} with the
 * status (413 for size, 400 for the rest) and a reason for the client.
 */
final class RequestBody {

    /** The largest body taken, in bytes: 1 MiB, room for a text message of about a million characters. */
    static final int LIMIT = 1024 * 1024;

    /** How deep the body may nest: the object is level 1, an array in one of its fields level 2. */
    static final int MAX_DEPTH = 2;

    private static final String CONTRACT = "a JSON object of strings and arrays of strings";

    private RequestBody() {
    }

    /**
     * Reads the body whose {@code Content-Length} header is {@code declaredLength} ({@code null}
     * when there is none) from {@code in} and returns its JSON object; refuses, with a
     * {@link Refusal}, a body over {@link #LIMIT}, one that is not JSON, not an object, or
     * nested deeper than {@link #MAX_DEPTH}.
     */
    static JsonObject read(String declaredLength, InputStream in) throws Refusal {
        return parse(new String(bytes(declaredLength, in), StandardCharsets.UTF_8));
    }

    private static byte[] bytes(String declaredLength, InputStream in) throws Refusal {
        if (declaredLength != null) {
            long declared;
            try {
                declared = Long.parseLong(declaredLength.strip());
            } catch (NumberFormatException e) {
                throw Refusal.badRequest("Content-Length is not a number: " + declaredLength);
            }
            if (declared > LIMIT) {
                throw Refusal.tooLarge("the body is " + declared + " bytes, over the limit of " + limit());
            }
        }
        byte[] bytes;
        try {
            bytes = in.readNBytes(LIMIT + 1);
        } catch (IOException e) {
            throw Refusal.badRequest("the body could not be read: " + e.getMessage());
        }
        if (bytes.length > LIMIT) {
            throw Refusal.tooLarge("the body is over the limit of " + limit());
        }
        return bytes;
    }

    private static String limit() {
        return LIMIT + " bytes (" + LIMIT / (1024 * 1024) + " MiB)";
    }

    private static JsonObject parse(String body) throws Refusal {
        if (body.isBlank()) {
            throw Refusal.badRequest("the request has no body; expected a JSON object with from, to, subject and text");
        }
        try (JsonParser parser = Json.createParser(new StringReader(body))) {
            JsonParser.Event first = parser.next();
            if (first != JsonParser.Event.START_OBJECT) {
                // START_ARRAY, VALUE_STRING, ...: "array", "string", ..., without reading the value
                String got = first.name().replaceFirst("^(START|VALUE)_", "").toLowerCase(Locale.ROOT);
                throw Refusal.badRequest("expected a JSON object, got " + got);
            }
            JsonObject object = object(parser, 1);
            parser.hasNext(); // throws on anything but white space after the object
            return object;
        } catch (JsonParsingException e) {
            throw Refusal.badRequest("malformed JSON at " + where(e.getLocation()) + ": " + e.getMessage());
        } catch (JsonException e) {
            throw Refusal.badRequest("malformed JSON: " + e.getMessage());
        }
    }

    /** The members of the object whose START_OBJECT the parser has just read, at {@code depth}. */
    private static JsonObject object(JsonParser parser, int depth) throws Refusal {
        JsonObjectBuilder members = Json.createObjectBuilder();
        for (JsonParser.Event event = parser.next(); event != JsonParser.Event.END_OBJECT; event = parser.next()) {
            String field = parser.getString(); // the parser allows only KEY_NAME here
            members.add(field, value(parser, parser.next(), depth, field));
        }
        return members.build();
    }

    /** The items of the array whose START_ARRAY the parser has just read, at {@code depth}. */
    private static JsonValue array(JsonParser parser, int depth, String field) throws Refusal {
        JsonArrayBuilder items = Json.createArrayBuilder();
        for (JsonParser.Event event = parser.next(); event != JsonParser.Event.END_ARRAY; event = parser.next()) {
            items.add(value(parser, event, depth, field));
        }
        return items.build();
    }

    /** The value that {@code event} starts, in {@code field} of the top object, inside a value at {@code depth}. */
    private static JsonValue value(JsonParser parser, JsonParser.Event event, int depth, String field) throws Refusal {
        boolean structure = event == JsonParser.Event.START_OBJECT || event == JsonParser.Event.START_ARRAY;
        if (!structure) {
            return scalar(parser, field);
        }
        if (depth == MAX_DEPTH) {
            throw Refusal.badRequest("\"" + field + "\" nests JSON more than " + MAX_DEPTH + " levels deep, at "
                    + where(parser.getLocation()) + "; expected " + CONTRACT);
        }
        return event == JsonParser.Event.START_OBJECT ? object(parser, depth + 1) : array(parser, depth + 1, field);
    }

    private static JsonValue scalar(JsonParser parser, String field) throws Refusal {
        try {
            return parser.getValue();
        } catch (UnsupportedOperationException e) {
            // Parsson refuses a number too long to convert (org.eclipse.parsson.maxBigDecimalLength) this way.
            throw Refusal.badRequest("\"" + field + "\" holds a number that cannot be read: " + e.getMessage());
        }
    }

    private static String where(JsonLocation location) {
        return "line " + location.getLineNumber() + ", column " + location.getColumnNumber();
    }
}
