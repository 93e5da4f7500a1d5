package dev.outbox.demo;

import dev.outbox.api.MessageRejectedException;
import dev.outbox.api.OutboxConnection;
import dev.outbox.api.OutboxConnectionFactory;
import dev.outbox.api.OutboxException;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.RequestScoped;
import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import jakarta.json.stream.JsonParsingException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * {@code POST /outbox-demo/api/messages} with {@code {"from", "to": [...], "subject", "text"}}
 * (and optionally {@code "cc"}, {@code "bcc"}): builds a MIME message and submits it to
 * Outbox. Answers 202 with {@code {"id"}} once Outbox has accepted it, 400 with
 * {@code {"error"}} for bad JSON or a bad address, 503 when Outbox cannot take mail now.
 */
@Path("/messages")
@RequestScoped
public class MessagesResource {

    private static final Session MAIL = Session.getInstance(new Properties());

    @Resource(lookup = "java:/eis/Outbox")
    private OutboxConnectionFactory outbox;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response submit(String body) {
        MimeMessage message;
        try {
            message = toMessage(parse(body));
        } catch (BadRequest e) {
            return error(Response.Status.BAD_REQUEST, e.getMessage());
        }
        try (OutboxConnection connection = outbox.getConnection()) {
            String id = connection.submit(message);
            return Response.accepted(Json.createObjectBuilder().add("id", id).build()).build();
        } catch (MessageRejectedException e) {
            return error(Response.Status.BAD_REQUEST, e.getMessage());
        } catch (OutboxException e) {
            return error(Response.Status.SERVICE_UNAVAILABLE, e.getMessage());
        }
    }

    private static JsonObject parse(String body) throws BadRequest {
        if (body == null || body.isBlank()) {
            throw new BadRequest("the request has no body; expected a JSON object with from, to, subject and text");
        }
        try (JsonReader reader = Json.createReader(new StringReader(body))) {
            JsonValue value = reader.readValue();
            if (value.getValueType() != JsonValue.ValueType.OBJECT) {
                throw new BadRequest("expected a JSON object, got " + value.getValueType().name().toLowerCase());
            }
            return value.asJsonObject();
        } catch (JsonParsingException e) {
            throw new BadRequest("malformed JSON at line " + e.getLocation().getLineNumber()
                    + ", column " + e.getLocation().getColumnNumber() + ": " + e.getMessage());
        } catch (JsonException e) {
            throw new BadRequest("malformed JSON: " + e.getMessage());
        }
    }

    private static MimeMessage toMessage(JsonObject json) throws BadRequest {
        try {
            MimeMessage message = new MimeMessage(MAIL);
            message.setFrom(address(requiredString(json, "from"), "from"));
            List<InternetAddress> to = addresses(json, "to", true);
            message.setRecipients(Message.RecipientType.TO, to.toArray(InternetAddress[]::new));
            message.setRecipients(Message.RecipientType.CC, addresses(json, "cc", false).toArray(InternetAddress[]::new));
            message.setRecipients(Message.RecipientType.BCC, addresses(json, "bcc", false).toArray(InternetAddress[]::new));
            message.setSubject(requiredString(json, "subject"), StandardCharsets.UTF_8.name());
            message.setText(requiredString(json, "text"), StandardCharsets.UTF_8.name());
            return message;
        } catch (MessagingException e) {
            throw new BadRequest("the message cannot be built: " + e.getMessage());
        }
    }

    private static String requiredString(JsonObject json, String field) throws BadRequest {
        JsonValue value = json.get(field);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            throw new BadRequest("\"" + field + "\" is missing");
        }
        if (value.getValueType() != JsonValue.ValueType.STRING) {
            throw new BadRequest("\"" + field + "\" must be a string");
        }
        return json.getString(field);
    }

    private static List<InternetAddress> addresses(JsonObject json, String field, boolean required) throws BadRequest {
        JsonValue value = json.get(field);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            if (required) {
                throw new BadRequest("\"" + field + "\" is missing: give at least one address");
            }
            return List.of();
        }
        if (value.getValueType() != JsonValue.ValueType.ARRAY) {
            throw new BadRequest("\"" + field + "\" must be an array of addresses");
        }
        List<InternetAddress> result = new ArrayList<>();
        for (JsonValue item : value.asJsonArray()) {
            if (item.getValueType() != JsonValue.ValueType.STRING) {
                throw new BadRequest("\"" + field + "\" must hold only strings");
            }
            result.add(address(((jakarta.json.JsonString) item).getString(), field));
        }
        if (required && result.isEmpty()) {
            throw new BadRequest("\"" + field + "\" is empty: give at least one address");
        }
        return result;
    }

    private static InternetAddress address(String text, String field) throws BadRequest {
        try {
            InternetAddress address = new InternetAddress(text, true);
            if (address.isGroup()) {
                throw new BadRequest("\"" + field + "\": a group is not a mailbox");
            }
            return address;
        } catch (AddressException e) {
            throw new BadRequest("\"" + field + "\" has a bad address: " + e.getMessage());
        }
    }

    private static Response error(Response.Status status, String reason) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Json.createObjectBuilder().add("error", reason).build()).build();
    }

    /** A request the demo refuses with 400 and this reason. */
    private static final class BadRequest extends Exception {
        private static final long serialVersionUID = 1L;

        BadRequest(String reason) {
            super(reason);
        }
    }
}
