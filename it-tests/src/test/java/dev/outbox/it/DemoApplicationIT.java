package dev.outbox.it;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import jakarta.mail.internet.MimeMessage;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.EnterpriseArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the sample application's contract: {@code POST /outbox-demo/api/messages} answers 202
 * with the queue id and the mail arrives; bad JSON, JSON nested deeper than the contract and bad
 * addresses answer 400 with a reason; a body over 1 MiB answers 413 with a reason, without the
 * server waiting for the rest of it.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class DemoApplicationIT {

    /** The demo's body limit, {@code RequestBody.LIMIT} in demo/app: 1 MiB. */
    private static final int LIMIT = 1024 * 1024;

    private static final String MESSAGES = "api/messages";

    private static final String JSON = "application/json";

    @RegisterExtension
    static final GreenMailExtension SMTP = TestSmtp.server();

    @Deployment(name = "outbox", order = 1, testable = false)
    static EnterpriseArchive outbox() {
        return Deployments.outboxEar();
    }

    @Deployment(name = "demo", order = 2, testable = false)
    static WebArchive demo() {
        return Deployments.demoWar();
    }

    @ArquillianResource
    @OperateOnDeployment("demo")
    URL demo;

    @Test
    void acceptedMessageIsDelivered() throws Exception {
        Http.Answer answer = post("{\"from\":\"app@example.com\",\"to\":[\"alice@a.example\",\"bob@b.example\"],"
                + "\"subject\":\"Hello\",\"text\":\"Sent through Outbox.\"}");

        assertEquals(202, answer.status(), answer.body());
        assertTrue(answer.body().matches("\\{\"id\":\"[0-9A-HJKMNP-TV-Z]{26}\"}"), answer.body());
        TestSmtp.awaitCopies(SMTP, 2);
        for (String recipient : new String[]{"alice@a.example", "bob@b.example"}) {
            MimeMessage copy = TestSmtp.copiesFor(SMTP, recipient).get(0);
            assertEquals("Hello", copy.getSubject());
            assertEquals("Sent through Outbox.", String.valueOf(copy.getContent()).strip());
            assertEquals("<app@example.com>", copy.getHeader("Return-Path", null));
        }
    }

    @Test
    void malformedJsonIsRefused() throws Exception {
        Http.Answer answer = post("{\"from\":\"app@example.com\",\"to\":[");

        assertEquals(400, answer.status());
        assertTrue(answer.body().contains("malformed JSON"), answer.body());
    }

    @Test
    void missingFieldsAreNamed() throws Exception {
        Http.Answer noRecipients = post("{\"from\":\"app@example.com\",\"subject\":\"s\",\"text\":\"t\"}");
        assertEquals(400, noRecipients.status());
        assertTrue(noRecipients.body().contains("\\\"to\\\" is missing"), noRecipients.body());

        Http.Answer wrongType = post("{\"from\":\"app@example.com\",\"to\":\"alice@a.example\",\"subject\":\"s\",\"text\":\"t\"}");
        assertEquals(400, wrongType.status());
        assertTrue(wrongType.body().contains("must be an array"), wrongType.body());
    }

    @Test
    void badAddressesAreRefused() throws Exception {
        Http.Answer spaces = post("{\"from\":\"app@example.com\",\"to\":[\"alice@exa mple.org\"],\"subject\":\"s\",\"text\":\"t\"}");
        assertEquals(400, spaces.status());
        assertTrue(spaces.body().contains("\\\"to\\\" has a bad address"), spaces.body());

        Http.Answer injection = post("{\"from\":\"app@example.com\\r\\nRCPT TO:<evil@evil.example>\",\"to\":[\"alice@a.example\"],"
                + "\"subject\":\"s\",\"text\":\"t\"}");
        assertEquals(400, injection.status());
        assertTrue(injection.body().contains("from"), injection.body());

        Http.Answer tooLong = post("{\"from\":\"app@example.com\",\"to\":[\"" + "l".repeat(65) + "@a.example\"],\"subject\":\"s\",\"text\":\"t\"}");
        assertEquals(400, tooLong.status());
        assertTrue(tooLong.body().contains("64"), tooLong.body());
    }

    @Test
    void deeplyNestedJsonIsRefused() throws Exception {
        Http.Answer arrays = post("[".repeat(100_000));
        assertEquals(400, arrays.status(), arrays.body());
        assertTrue(arrays.body().contains("expected a JSON object, got array"), arrays.body());

        Http.Answer objects = post("{\"a\":".repeat(100_000));
        assertEquals(400, objects.status(), objects.body());
        assertTrue(objects.body().contains("\\\"a\\\" nests JSON more than 2 levels deep"), objects.body());
    }

    @Test
    void nestedRecipientsAreRefused() throws Exception {
        Http.Answer answer = post("{\"from\":\"app@example.com\",\"to\":[[[\"alice@a.example\"]]],\"subject\":\"s\",\"text\":\"t\"}");

        assertEquals(400, answer.status(), answer.body());
        assertTrue(answer.body().contains("\\\"to\\\" nests JSON more than 2 levels deep"), answer.body());
    }

    @Test
    void overlongNumberIsRefused() throws Exception {
        Http.Answer answer = post("{\"from\":\"app@example.com\",\"to\":[\"alice@a.example\"],\"subject\":\"s\",\"text\":\"t\","
                + "\"n\":" + "1".repeat(2_000) + "}");

        assertEquals(400, answer.status(), answer.body());
        assertTrue(answer.body().contains("\\\"n\\\" holds a number that cannot be read"), answer.body());
    }

    @Test
    void bodyOfExactlyTheLimitIsAccepted() throws Exception {
        String text = "x".repeat(LIMIT - message("").length);
        byte[] body = message(text);
        assertEquals(LIMIT, body.length);

        Http.Answer answer = Http.post(demo, MESSAGES, JSON, body);
        assertEquals(202, answer.status(), answer.body());
        MimeMessage copy = TestSmtp.awaitCopies(SMTP, 1)[0];
        assertEquals("Größe ✓", copy.getSubject()); // the body is read as UTF-8
        assertEquals(text, String.valueOf(copy.getContent()).strip());
    }

    @Test
    void declaredBodyOverTheLimitIsRefusedUnread() throws Exception {
        byte[] body = message("x".repeat(2 * LIMIT));
        String refusal = "{\"error\":\"the body is " + body.length + " bytes, over the limit of " + LIMIT + " bytes (1 MiB)\"}";

        Http.Answer whole = Http.post(demo, MESSAGES, JSON, body);
        assertEquals(413, whole.status(), whole.body());
        assertEquals(refusal, whole.body());

        // The client sends the head and 1 KiB of what it declares, then waits: the answer comes anyway.
        Http.Answer unfinished = Http.postUnfinished(demo, MESSAGES, JSON, "Content-Length: " + body.length,
                Arrays.copyOf(body, 1024));
        assertEquals(413, unfinished.status(), unfinished.body());
        assertEquals(refusal, unfinished.body());
    }

    @Test
    void chunkedBodyOverTheLimitIsRefused() throws Exception {
        byte[] body = message("x".repeat(2 * LIMIT));
        String refusal = "{\"error\":\"the body is over the limit of " + LIMIT + " bytes (1 MiB)\"}";

        Http.Answer whole = Http.postChunked(demo, MESSAGES, JSON, body);
        assertEquals(413, whole.status(), whole.body());
        assertEquals(refusal, whole.body());

        // One chunk of the limit and 1 KiB, and never the last chunk: the server stops reading past the limit.
        byte[] data = Arrays.copyOf(body, LIMIT + 1024);
        ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        chunk.write((Integer.toHexString(data.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        chunk.write(data);
        chunk.write("\r\n".getBytes(StandardCharsets.US_ASCII));
        Http.Answer unfinished = Http.postUnfinished(demo, MESSAGES, JSON, "Transfer-Encoding: chunked", chunk.toByteArray());
        assertEquals(413, unfinished.status(), unfinished.body());
        assertEquals(refusal, unfinished.body());
    }

    private Http.Answer post(String json) throws Exception {
        return Http.post(demo, MESSAGES, JSON, json.getBytes(StandardCharsets.UTF_8));
    }

    /** A valid message from app@example.com to alice@a.example with this text and a subject beyond ASCII, as UTF-8 JSON. */
    private static byte[] message(String text) {
        return ("{\"from\":\"app@example.com\",\"to\":[\"alice@a.example\"],\"subject\":\"Größe ✓\",\"text\":\"" + text + "\"}")
                .getBytes(StandardCharsets.UTF_8);
    }
}
