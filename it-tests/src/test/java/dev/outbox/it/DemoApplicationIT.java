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

import java.net.URL;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the sample application's contract: {@code POST /outbox-demo/api/messages} answers 202
 * with the queue id and the mail arrives; bad JSON and bad addresses answer 400 with a reason.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class DemoApplicationIT {

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

    private Http.Answer post(String json) throws Exception {
        return Http.post(demo, "api/messages", "application/json", json.getBytes(StandardCharsets.UTF_8));
    }
}
