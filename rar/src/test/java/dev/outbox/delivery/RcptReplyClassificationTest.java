package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves how a real session classifies a refusal at RCPT: 552 defers (RFC 5321 section
 * 4.5.3.1.10: treat it as 452), 550 bounces, 452 defers; the other recipients are delivered and
 * the connection stays usable.
 */
class RcptReplyClassificationTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final byte[] CONTENT = LoopbackSmtp.content("Subject: rcpt\r\n\r\nbody\r\n");

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();
    @AutoClose
    private final SmtpDeliverer deliverer = new SmtpDeliverer(LoopbackSmtp.SETTINGS);

    @ParameterizedTest(name = "{0} at RCPT: {2}")
    @MethodSource("refusals")
    void refusedRecipientGetsItsOwnOutcomeAndTheOtherIsDelivered(int code, String reply, Status expected) {
        refuse(reply);
        Envelope envelope = Envelope.of("app@example.org", "refused@example.org", "ok@example.org");

        List<RecipientOutcome> outcomes = send(envelope);

        assertEquals(envelope.recipients(), outcomes.stream().map(RecipientOutcome::recipient).toList());
        assertEquals(expected, outcomes.get(0).status(), outcomes.toString());
        assertEquals(code, outcomes.get(0).replyCode(), outcomes.toString());
        assertTrue(outcomes.get(0).reply().contains(reply), outcomes.get(0).reply());
        assertEquals(Status.DELIVERED, outcomes.get(1).status(), outcomes.toString());
        Received received = server.awaitReceived(1, DEADLINE).get(0);
        assertEquals(List.of("ok@example.org"), received.recipients());
    }

    @ParameterizedTest(name = "{0} at RCPT to the only recipient: {2}")
    @MethodSource("refusals")
    void onlyRecipientRefusedGetsItsOutcomeAndNothingIsTransferred(int code, String reply, Status expected) {
        refuse(reply);

        List<RecipientOutcome> outcomes = send(Envelope.of("app@example.org", "refused@example.org"));

        assertEquals(1, outcomes.size(), outcomes.toString());
        assertEquals(expected, outcomes.get(0).status(), outcomes.toString());
        assertEquals(code, outcomes.get(0).replyCode(), outcomes.toString());
        assertEquals(1, server.count(Command.DATA), "one DATA: the follow-up message's");
        assertEquals(List.of(List.of("next@example.org")), server.received().stream().map(Received::recipients).toList());
    }

    /** Each RCPT reply and what it must mean for the recipient. */
    static Stream<Arguments> refusals() {
        return Stream.of(
                Arguments.of(552, "552 5.5.3 Too many recipients", Status.DEFERRED), // RFC 5321 section 4.5.3.1.10: as 452
                Arguments.of(550, "550 5.1.1 No such user", Status.FAILED),
                Arguments.of(452, "452 4.5.3 Too many recipients", Status.DEFERRED));
    }

    /** Answers RCPT TO:&lt;refused@...&gt; with {@code reply}; every other RCPT is accepted. */
    private void refuse(String reply) {
        server.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("refused@")).reply(reply));
    }

    /** Sends {@link #CONTENT}, then checks the connection still carries a message to an accepted recipient. */
    private List<RecipientOutcome> send(Envelope envelope) {
        try (Deliverer.Connection connection = deliverer.connect(new NextHop(server.host(), server.port()), LoopbackSmtp.BUDGET)) {
            List<RecipientOutcome> outcomes = connection.send(envelope, CONTENT, LoopbackSmtp.BUDGET);
            assertFalse(connection.isBroken(), "a refused recipient is no connection failure");
            List<RecipientOutcome> next = connection.send(Envelope.of("app@example.org", "next@example.org"), CONTENT, LoopbackSmtp.BUDGET);
            assertEquals(Status.DELIVERED, next.get(0).status(), "the connection carries the next message: " + next);
            return outcomes;
        } catch (Deliverer.ConnectFailedException e) {
            throw new AssertionError(e);
        }
    }
}
