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
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves Outbox's own mail transaction against a real server that offers PIPELINING (RFC 2920)
 * and one that does not: commands go out as a group only where offered, every recipient's
 * outcome follows its own reply whatever the order of refusals, a transaction refused before
 * its data is reset so the connection carries the next message, a missing reply breaks the
 * connection, and the data goes out canonical (CRLF, dots doubled) whatever the content holds.
 */
class PipeliningTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final byte[] CONTENT = LoopbackSmtp.content("Subject: pipelined\r\n\r\nbody\r\n");
    private static final Envelope NEXT = Envelope.of("app@example.org", "next@example.org");

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start().extensions("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");
    @AutoClose
    private final SmtpDeliverer deliverer = new SmtpDeliverer(LoopbackSmtp.SETTINGS);

    @Test
    void commandsOfOneMessageGoOutTogetherWhenThePeerOffersPipelining() throws Exception {
        // A client that waited for MAIL's reply would stop at the 550; a pipelining one has sent
        // its RCPTs and DATA already, which the server then answers 503 and 554.
        server.script(Rules.on(Command.MAIL).times(1).reply("550 5.7.1 sender refused"));
        Envelope envelope = Envelope.of("app@example.org", "ann@example.org", "bob@example.org");

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(envelope, CONTENT, LoopbackSmtp.BUDGET);

            for (RecipientOutcome outcome : outcomes) {
                assertEquals(Status.FAILED, outcome.status(), outcomes.toString());
                assertEquals(550, outcome.replyCode(), outcomes.toString());
                assertTrue(outcome.reply().contains("sender refused"), outcome.reply());
            }
            assertEquals(2, server.count(Command.RCPT), server.transcript().toString());
            assertEquals(1, server.count(Command.DATA), server.transcript().toString());
            assertEquals(1, server.count(Command.RSET), "a refused transaction is reset: " + server.transcript());
            assertNextMessageGoesThrough(connection);
        }
        assertEquals(List.of(List.of("next@example.org")), server.received().stream().map(Received::recipients).toList());
    }

    @Test
    void withoutPipeliningEachCommandWaitsForItsReply() throws Exception {
        server.extensions("8BITMIME");
        server.script(Rules.on(Command.MAIL).times(1).reply("550 5.7.1 sender refused"));

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(Envelope.of("app@example.org", "ann@example.org"), CONTENT, LoopbackSmtp.BUDGET);

            assertEquals(Status.FAILED, outcomes.get(0).status(), outcomes.toString());
            assertEquals(0, server.count(Command.RCPT), "no RCPT after a refused MAIL: " + server.transcript());
            assertNextMessageGoesThrough(connection);
        }
    }

    @Test
    void eachRecipientFollowsItsOwnReplyWithinThePipelinedGroup() throws Exception {
        server.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("gone@")).reply("550 5.1.1 no such user"));
        server.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("full@")).reply("452 4.2.2 mailbox full"));
        Envelope envelope = Envelope.of("app@example.org", "gone@example.org", "ann@example.org", "full@example.org", "bob@example.org");

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(envelope, CONTENT, LoopbackSmtp.BUDGET);

            assertEquals(envelope.recipients(), outcomes.stream().map(RecipientOutcome::recipient).toList());
            assertEquals(List.of(Status.FAILED, Status.DELIVERED, Status.DEFERRED, Status.DELIVERED),
                    outcomes.stream().map(RecipientOutcome::status).toList(), outcomes.toString());
            assertEquals(List.of(550, 250, 452, 250), outcomes.stream().map(RecipientOutcome::replyCode).toList(), outcomes.toString());
            assertFalse(connection.isBroken(), "refusals are no connection failure");
            assertEquals(0, server.count(Command.RSET), "a transaction that ended with its data needs no RSET");
        }
        Received received = server.awaitReceived(1, DEADLINE).get(0);
        assertEquals(List.of("ann@example.org", "bob@example.org"), received.recipients());
    }

    @Test
    void everyRecipientRefusedSendsNoDataEvenWhenThePeerSaysGoAhead() throws Exception {
        // A peer that answers DATA 354 with no recipient accepted gets a lone dot (RFC 2920 3.1), not the message.
        server.script(Rules.on(Command.RCPT).times(1).reply("550 5.1.1 no such user"));
        server.script(Rules.on(Command.DATA).times(1).reply("354 go ahead anyway"));

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(Envelope.of("app@example.org", "gone@example.org"), CONTENT, LoopbackSmtp.BUDGET);

            assertEquals(Status.FAILED, outcomes.get(0).status(), outcomes.toString());
            assertEquals(550, outcomes.get(0).replyCode(), outcomes.toString());
            assertNextMessageGoesThrough(connection);
        }
        for (Received received : server.received()) {
            assertTrue(received.recipients().equals(List.of("next@example.org")) || received.data().length == 0,
                    "only the next message carries content: " + server.received());
        }
    }

    @Test
    void refusedDataDefersOrFailsTheAcceptedRecipientsAndTheConnectionGoesOn() throws Exception {
        server.script(Rules.on(Command.DATA).times(1).reply("451 4.3.0 try later"));
        Envelope envelope = Envelope.of("app@example.org", "ann@example.org", "bob@example.org");

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(envelope, CONTENT, LoopbackSmtp.BUDGET);

            for (RecipientOutcome outcome : outcomes) {
                assertEquals(Status.DEFERRED, outcome.status(), outcomes.toString());
                assertEquals(451, outcome.replyCode(), outcomes.toString());
            }
            assertEquals(1, server.count(Command.RSET), server.transcript().toString());
            assertNextMessageGoesThrough(connection);
        }
    }

    @Test
    void aPeerThatHangsUpWithinTheGroupDefersEveryoneAndBreaksTheConnection() throws Exception {
        server.script(Rules.on(Command.RCPT).times(1).close());

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(Envelope.of("app@example.org", "ann@example.org", "bob@example.org"),
                    CONTENT, LoopbackSmtp.BUDGET);

            for (RecipientOutcome outcome : outcomes) {
                assertEquals(Status.DEFERRED, outcome.status(), outcomes.toString());
                assertEquals(0, outcome.replyCode(), outcomes.toString());
            }
            assertTrue(connection.isBroken(), "no reply: the connection carries nothing more");
        }
        assertTrue(server.received().isEmpty(), server.received().toString());
    }

    @Test
    void aLineThatIsNoReplyBreaksTheConnectionAndDeliversNothing() throws Exception {
        server.script(Rules.on(Command.RCPT).times(1).reply("hello, I am not SMTP"));

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(Envelope.of("app@example.org", "ann@example.org"), CONTENT, LoopbackSmtp.BUDGET);

            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertEquals(0, outcomes.get(0).replyCode(), outcomes.toString());
            assertTrue(outcomes.get(0).reply().contains("invalid SMTP reply"), outcomes.get(0).reply());
            assertTrue(connection.isBroken());
        }
    }

    @Test
    void aMultiLineReplyToTheDataIsKeptWhole() throws Exception {
        server.script(Rules.on(Command.END_OF_DATA).times(1).reply("250-2.0.0 queued\n250 2.0.0 as X1"));

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(Envelope.of("app@example.org", "ann@example.org"), CONTENT, LoopbackSmtp.BUDGET);

            assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
            assertTrue(outcomes.get(0).reply().contains("queued") && outcomes.get(0).reply().contains("as X1"), outcomes.get(0).reply());
            assertNextMessageGoesThrough(connection);
        }
    }

    @Test
    void contentGoesOutCanonicalAndCannotEndTheDataEarly() throws Exception {
        // Bare LF and bare CR become CRLF, leading dots are doubled (and undone by the server), a
        // missing last line end is added; "<LF>.<CR><LF>" cannot end the data and smuggle a command.
        byte[] content = ("Subject: smuggling\r\n\r\nline one\n.\r\nMAIL FROM:<evil@example.net>\r\nbare\rcr\r\n..two\r\nno end")
                .getBytes(StandardCharsets.US_ASCII);

        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(Envelope.of("app@example.org", "ann@example.org"), content, LoopbackSmtp.BUDGET);
            assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        }
        Received received = server.awaitReceived(1, DEADLINE).get(0);
        assertEquals("Subject: smuggling\r\n\r\nline one\r\n.\r\nMAIL FROM:<evil@example.net>\r\nbare\r\ncr\r\n..two\r\nno end\r\n",
                new String(received.data(), StandardCharsets.US_ASCII));
        assertEquals(1, server.count(Command.MAIL), server.transcript().toString());
    }

    private Deliverer.Connection connect() throws Deliverer.ConnectFailedException {
        return deliverer.connect(new NextHop(server.host(), server.port()), LoopbackSmtp.BUDGET);
    }

    private static void assertNextMessageGoesThrough(Deliverer.Connection connection) {
        assertFalse(connection.isBroken(), "the connection is still usable");
        List<RecipientOutcome> next = connection.send(NEXT, CONTENT, LoopbackSmtp.BUDGET);
        assertEquals(Status.DELIVERED, next.get(0).status(), "the connection carries the next message: " + next);
    }
}
