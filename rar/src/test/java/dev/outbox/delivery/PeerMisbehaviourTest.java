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

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the bounds of Outbox's own transaction against peers that misbehave: a peer that hangs
 * up, or stops reading and is cut by the write timeout, counts as the peer breaking the
 * connection (the deliverer then tries that MX host last), a deadline of ours does not; a reply
 * trickled without end is cut by the message's deadline; an endless multi-line reply by its line
 * limit.
 */
class PeerMisbehaviourTest {

    private static final byte[] CONTENT = LoopbackSmtp.content("Subject: bounds\r\n\r\nbody\r\n");
    private static final Envelope ENVELOPE = Envelope.of("app@example.org", "a@example.org");

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start().extensions("PIPELINING", "8BITMIME");
    @AutoClose
    private RawSmtpPeer peer;

    /**
     * A peer that hangs up within the group broke the connection: the deliverer is told. The
     * transaction sets the session broken itself, which SmtpSession.send took for an abort of its
     * own, so the hook never ran.
     */
    @Test
    void aPeerThatHangsUpCountsAsThePeerBreaking() throws Exception {
        server.script(Rules.on(Command.RCPT).times(1).close());
        AtomicBoolean peerBroke = new AtomicBoolean();

        try (SmtpSession session = SmtpSession.open(new NextHop(server.host(), server.port()), Peer.MX_HOST,
                LoopbackSmtp.SETTINGS.withTls(TlsPolicy.NONE), TIMEOUTS, BUDGET)) {
            session.whenPeerBreaks(() -> peerBroke.set(true));
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, CONTENT, BUDGET);

            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertTrue(session.isBroken());
        }
        assertTrue(peerBroke.get(), "the hang-up was not reported as the peer breaking the connection");
    }

    /** Our own deadline closing a connection whose peer is slow is no break of the peer's. */
    @Test
    void theMessageDeadlineIsNotThePeerBreaking() throws Exception {
        server.script(Rules.on(Command.DATA).times(1).delayThenProceed(Duration.ofSeconds(3)));
        AtomicBoolean peerBroke = new AtomicBoolean();

        try (SmtpSession session = SmtpSession.open(new NextHop(server.host(), server.port()), Peer.MX_HOST,
                LoopbackSmtp.SETTINGS.withTls(TlsPolicy.NONE), TIMEOUTS, BUDGET)) {
            session.whenPeerBreaks(() -> peerBroke.set(true));
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, CONTENT, Duration.ofMillis(500));

            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertTrue(session.isBroken());
        }
        assertTrue(!peerBroke.get(), "our deadline was reported as the peer breaking the connection");
    }

    /**
     * The write timeout is the peer's doing: the deliverer must hear of it (it then tries that MX
     * host last), as it did when Angus's write timeout closed the socket. It used to run
     * SmtpSession.abort(), which marks the break as Outbox's own, and the hook was skipped.
     */
    @Test
    void aPeerThatStopsReadingTheDataIsCutByTheWriteTimeoutAndCountsAsThePeerBreaking() throws Exception {
        server.script(Rules.on(Command.DATA).stopReading());
        SmtpSettings settings = new SmtpSettings("outbox.test", Duration.ofSeconds(5), Duration.ofSeconds(30), Duration.ofSeconds(1));
        StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
        while (body.length() < (8 << 20)) {
            body.append("y".repeat(998)).append("\r\n");
        }
        AtomicBoolean peerBroke = new AtomicBoolean();

        long started = System.nanoTime();
        try (SmtpSession session = SmtpSession.open(new NextHop(server.host(), server.port()), Peer.MX_HOST, settings, TIMEOUTS, BUDGET)) {
            session.whenPeerBreaks(() -> peerBroke.set(true));
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, LoopbackSmtp.content(body.toString()), BUDGET);

            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertEquals(0, outcomes.get(0).replyCode(), outcomes.toString());
            assertTrue(outcomes.get(0).reply().contains("write timeout"), outcomes.get(0).reply());
            assertTrue(session.isBroken());
        }
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMillis < 10_000, "took " + tookMillis + " ms; the read timeout is 30 s");
        assertTrue(peerBroke.get(), "the write timeout was not reported as the peer breaking the connection");
    }

    /** One byte every 50 ms, never a line end: every read is within the read timeout (5 s), the message's deadline (2 s) still ends it. */
    @Test
    void aReplyLineThatNeverEndsIsCutByTheMessageDeadline() throws Exception {
        peer = RawSmtpPeer.start((line, out) -> {
            if (line.startsWith("MAIL")) {
                out.write("250 ".getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < 10_000; i++) {
                    out.write('x');
                    out.flush();
                    Thread.sleep(50);
                }
            }
            return "250 ok";
        });
        long started = System.nanoTime();
        try (SmtpSession session = open()) {
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, CONTENT, Duration.ofSeconds(2));

            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertTrue(session.isBroken());
        }
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMillis < 4_000, "took " + tookMillis + " ms");
    }

    /** 500 MB of "250-" lines of 5,000 characters: refused after 100 lines, memory bounded, the connection broken. */
    @Test
    void anEndlessMultiLineReplyIsRefusedAfterItsLineLimit() throws Exception {
        peer = RawSmtpPeer.start((line, out) -> {
            if (line.startsWith("MAIL")) {
                byte[] more = ("250-" + "z".repeat(5000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                for (int i = 0; i < 100_000; i++) {
                    out.write(more);
                }
            }
            return "250 ok";
        });
        try (SmtpSession session = open()) {
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, CONTENT, Duration.ofSeconds(10));

            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertEquals(0, outcomes.get(0).replyCode());
            assertTrue(outcomes.get(0).reply().contains("more than 100 lines"), outcomes.get(0).reply());
            assertTrue(session.isBroken());
        }
    }

    private SmtpSession open() throws Exception {
        return SmtpSession.open(peer.hop(), Peer.MX_HOST, LoopbackSmtp.SETTINGS.withTls(TlsPolicy.NONE), TIMEOUTS, BUDGET);
    }
}
