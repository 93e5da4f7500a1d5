package dev.outbox.it;

import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the Microsoft KB 826948 case cannot happen in Outbox, both ways, in a real WildFly:
 * when a connection fails in the middle of a batch, every message it had not delivered goes
 * out at the next retry; and when a relay takes only three RCPTs per transaction and answers
 * 452 to the rest, every recipient of a 20-recipient message is delivered, each at its own
 * retry time. No restart, no operator action, nothing sent twice.
 */
class RetryMergeAfterMidBatchFailureIT extends SubmitterTestBase {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    private ScriptedSmtpServer relay;

    @BeforeEach
    void startRelay() {
        relay = ScriptedSmtpServer.start("127.0.0.1", TestSmtp.setup().getPort());
    }

    @AfterEach
    void stopRelay() {
        relay.close();
    }

    @Test
    void messagesSkippedWhenTheConnectionBrokeGoOutAtTheNextRetry() throws Exception {
        // The first connection that has delivered one message is dropped, without a reply, at its next MAIL.
        relay.script(Rules.on(Command.MAIL).when(exchange -> exchange.messagesCompleted() >= 1).times(1).close());

        List<String> subjects = new ArrayList<>();
        for (int n = 0; n < 12; n++) {
            String subject = "batch " + n;
            subjects.add(subject);
            assertEquals(200, Http.submitRaw(submitter, "app@example.com", content(subject, "kb@b.example"), "kb@b.example").status());
        }

        Await.until(DEADLINE, () -> subjectsOf(relay.received()).containsAll(subjects),
                () -> "every message delivered; so far " + subjectsOf(relay.received()));
        assertEquals(sorted(subjects), sorted(subjectsOf(relay.received())), "each message once");
        assertTrue(relay.connectionsAccepted() >= 2, "the broken connection was followed by a retry: " + relay.connectionsAccepted());
    }

    @Test
    void everyRecipientRefusedWith452ForTooManyRecipientsIsDeliveredAtItsOwnRetry() throws Exception {
        relay.script(Rules.recipientsPerTransaction(3, "452 4.5.3 Too many recipients"));
        String[] recipients = new String[20];
        for (int i = 0; i < recipients.length; i++) {
            recipients[i] = "r" + i + "@many.example";
        }

        assertEquals(200, Http.submitRaw(submitter, "app@example.com", content("twenty", "team@many.example"), recipients).status());

        Await.until(DEADLINE, () -> deliveredRecipients(relay.received()).containsAll(List.of(recipients)),
                () -> "every recipient delivered; so far " + deliveredRecipients(relay.received()));
        assertEquals(sorted(List.of(recipients)), sorted(deliveredRecipients(relay.received())), "each recipient once");
        assertTrue(relay.received().size() >= 7, "at most 3 recipients a transaction: " + relay.received().size());
    }

    private static String content(String subject, String to) {
        return "From: app@example.com\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\n" + subject + "\r\n";
    }

    private static List<String> deliveredRecipients(List<Received> received) {
        List<String> delivered = new ArrayList<>();
        for (Received message : received) {
            if (message.acknowledged()) {
                delivered.addAll(message.recipients());
            }
        }
        return delivered;
    }

    private static List<String> subjectsOf(List<Received> received) {
        List<String> subjects = new ArrayList<>();
        for (Received message : received) {
            if (message.acknowledged()) {
                subjects.add(message.header("Subject").orElse("?"));
            }
        }
        return subjects;
    }

    private static List<String> sorted(List<String> values) {
        List<String> copy = new ArrayList<>(values);
        copy.sort(null);
        return copy;
    }
}
