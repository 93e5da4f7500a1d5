package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a pipelined group cannot deadlock: a server answers each command as it reads it,
 * and stops reading while its replies cannot be written; a client that wrote every RCPT before
 * reading any reply blocked on its own write until the write timeout, deferring every recipient,
 * the same way at every retry. 100,000 recipients is the most outbox.max-recipients allows, and
 * to a smarthost they all go in one transaction.
 */
class PipelinedGroupDeadlockTest {

    private static final int RECIPIENTS = 100_000;
    private static final byte[] CONTENT = LoopbackSmtp.content("Subject: many\r\n\r\nbody\r\n");
    private static final SmtpSettings SETTINGS = new SmtpSettings("outbox.test", Duration.ofSeconds(5), Duration.ofSeconds(5),
            Duration.ofSeconds(3)).withTls(TlsPolicy.NONE);

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start().extensions("PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES");
    @AutoClose
    private RawSmtpPeer peer;

    /** Socket buffers fixed at 16 KiB at the server's end: as a server that sets them, or any peer a network away. */
    @Test
    void aLargeGroupToAPeerWithSmallSocketBuffersIsDelivered() throws Exception {
        peer = RawSmtpPeer.start((line, out) -> "250 2.1.5 Ok", 16 * 1024);

        List<RecipientOutcome> outcomes = send(peer.hop(), RECIPIENTS);

        assertEquals(RECIPIENTS, outcomes.stream().filter(o -> o.status() == Status.DELIVERED).count(),
                () -> "first outcome: " + outcomes.get(0));
    }

    @Test
    void aLargeGroupToTheScriptedServerIsDelivered() throws Exception {
        List<RecipientOutcome> outcomes = send(new NextHop(server.host(), server.port()), 20_000);

        assertEquals(20_000, outcomes.stream().filter(o -> o.status() == Status.DELIVERED).count(),
                () -> "first outcome: " + outcomes.get(0));
        assertEquals(20_000, server.awaitReceived(1, Duration.ofSeconds(10)).get(0).recipients().size());
    }

    @Test
    void aGroupBeyondTheServersRecipientLimitDefersTheRestWithTheirOwnReplies() throws Exception {
        server.script(Rules.recipientsPerTransaction(1000, "452 4.5.3 Error: too many recipients"));

        List<RecipientOutcome> outcomes = send(new NextHop(server.host(), server.port()), 2_345);

        assertEquals(1000, outcomes.stream().filter(o -> o.status() == Status.DELIVERED).count(), () -> outcomes.get(0).toString());
        for (RecipientOutcome outcome : outcomes.subList(1000, outcomes.size())) {
            assertEquals(Status.DEFERRED, outcome.status(), outcome.toString());
            assertEquals(452, outcome.replyCode(), outcome.toString());
        }
        assertEquals(0, server.count(Command.RSET), "the transaction ended with its data");
    }

    /** Fewer recipients than a group: MAIL, every RCPT and DATA still go out in one write (the server sees them before any reply is read). */
    @Test
    void aSmallMessageIsStillOneGroup() throws Exception {
        server.script(Rules.on(Command.MAIL).times(1).reply("550 5.7.1 sender refused"));

        List<RecipientOutcome> outcomes = send(new NextHop(server.host(), server.port()), 50);

        assertTrue(outcomes.stream().allMatch(o -> o.status() == Status.FAILED && o.replyCode() == 550), outcomes.get(0).toString());
        assertEquals(50, server.count(Command.RCPT));
        assertEquals(1, server.count(Command.DATA));
    }

    private static List<RecipientOutcome> send(NextHop hop, int count) throws Exception {
        List<String> recipients = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            recipients.add(String.format("recipient-number-%06d@example.org", i));
        }
        try (SmtpSession session = SmtpSession.open(hop, Peer.SMARTHOST, SETTINGS, TIMEOUTS, BUDGET)) {
            List<RecipientOutcome> outcomes = session.send(Envelope.of("app@example.org", recipients), CONTENT, BUDGET);
            assertEquals(recipients, outcomes.stream().map(RecipientOutcome::recipient).toList());
            return outcomes;
        }
    }
}
