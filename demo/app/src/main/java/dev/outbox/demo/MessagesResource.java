package dev.outbox.demo;

import dev.outbox.api.MessageRejectedException;
import dev.outbox.api.OutboxConnection;
import dev.outbox.api.OutboxConnectionFactory;
import dev.outbox.api.OutboxException;
import jakarta.annotation.Resource;
import jakarta.enterprise.context.RequestScoped;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * {@code POST /outbox-demo/api/messages} with {@code {"from", "to": [...], "subject", "text"}}
 * (and optionally {@code "cc"}, {@code "bcc"}): builds a MIME message and submits it to
 * Outbox. Answers 202 with {@code {"id"}} once Outbox has accepted it, 400 with
 * {@code {"error"}} for bad JSON, JSON nested deeper than an object of strings and arrays of
 * strings, or a bad address, 413 with {@code {"error"}} for a body over 1 MiB
 * ({@link RequestBody#LIMIT}; refused unread when its {@code Content-Length} says so), 503 when
 * Outbox cannot take mail now. The body is read as UTF-8 whatever charset the request names.
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
    public Response submit(@HeaderParam(HttpHeaders.CONTENT_LENGTH) String declaredLength, InputStream body) {
        MimeMessage message;
        try {
            message = toMessage(RequestBody.read(declaredLength, body));
        } catch (Refusal e) {
            return error(e.status(), e.getMessage());
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

    private static MimeMessage toMessage(JsonObject json) throws Refusal {
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
            throw Refusal.badRequest("the message cannot be built: " + e.getMessage());
        }
    }

    private static String requiredString(JsonObject json, String field) throws Refusal {
        JsonValue value = json.get(field);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            throw Refusal.badRequest("\"" + field + "\" is missing");
        }
        if (value.getValueType() != JsonValue.ValueType.STRING) {
            throw Refusal.badRequest("\"" + field + "\" must be a string");
        }
        return json.getString(field);
    }

    private static List<InternetAddress> addresses(JsonObject json, String field, boolean required) throws Refusal {
        JsonValue value = json.get(field);
        if (value == null || value.getValueType() == JsonValue.ValueType.NULL) {
            if (required) {
                throw Refusal.badRequest("\"" + field + "\" is missing: give at least one address");
            }
            return List.of();
        }
        if (value.getValueType() != JsonValue.ValueType.ARRAY) {
            throw Refusal.badRequest("\"" + field + "\" must be an array of addresses");
        }
        List<InternetAddress> result = new ArrayList<>();
        for (JsonValue item : value.asJsonArray()) {
            if (item.getValueType() != JsonValue.ValueType.STRING) {
                throw Refusal.badRequest("\"" + field + "\" must hold only strings");
            }
            result.add(address(((JsonString) item).getString(), field));
        }
        if (required && result.isEmpty()) {
            throw Refusal.badRequest("\"" + field + "\" is empty: give at least one address");
        }
        return result;
    }

    private static InternetAddress address(String text, String field) throws Refusal {
        try {
            InternetAddress address = new InternetAddress(text, true);
            if (address.isGroup()) {
                throw Refusal.badRequest("\"" + field + "\": a group is not a mailbox");
            }
            return address;
        } catch (AddressException e) {
            throw Refusal.badRequest("\"" + field + "\" has a bad address: " + e.getMessage());
        }
    }

    private static Response error(Response.Status status, String reason) {
        return Response.status(status).type(MediaType.APPLICATION_JSON_TYPE)
                .entity(Json.createObjectBuilder().add("error", reason).build()).build();
    }
}
