package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that what a reply costs in memory is bounded by what an outcome can keep, not by what
 * a server sends: a transaction holds every RCPT reply until it ends, and a hostile server could
 * answer each with 100 lines of 1000 characters, 100 KB a recipient.
 */
class ReplyBoundsTest {

    @AutoClose
    private RawSmtpPeer peer;

    private static String hundredLines(String code, String last) {
        StringBuilder reply = new StringBuilder();
        for (int i = 0; i < 99; i++) {
            reply.append(code).append('-').append("w".repeat(996)).append("\r\n");
        }
        return reply.append(code).append(' ').append(last).append("\r\n").toString();
    }

    @Test
    void aHundredLineReplyIsKeptToTwoThousandCharacters() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            client.setSoTimeout(5_000);
            OutputStream out = server.getOutputStream();
            out.write((hundredLines("250", "last") + "451 4.3.0 next\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            SmtpWire wire = new SmtpWire(client, client, TIMEOUTS, Duration.ofSeconds(5), () -> { });

            SmtpWire.Reply first = wire.read();
            SmtpWire.Reply next = wire.read();

            assertEquals(250, first.code());
            assertTrue(first.text().length() <= 2000, "a reply of " + first.text().length() + " characters is kept");
            assertTrue(first.text().startsWith("250-www"), first.text().substring(0, 10));
            assertEquals(new SmtpWire.Reply(451, "451 4.3.0 next"), next, "the whole reply was read, the next one is in step");
        }
    }

    /** Each of 300 recipients refused with 100 lines: every outcome keeps its code and the start of its reply, and the connection goes on. */
    @Test
    void longRefusalsStillGiveEachRecipientItsOutcome() throws Exception {
        String refusal = hundredLines("550", "no such user");
        peer = RawSmtpPeer.start((line, out) -> {
            if (line.startsWith("RCPT")) {
                out.write(refusal.substring(0, refusal.length() - "550 no such user\r\n".length()).getBytes(StandardCharsets.US_ASCII));
                return "550 no such user";
            }
            return "250 ok";
        });
        List<String> recipients = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            recipients.add("r" + i + "@example.org");
        }
        try (SmtpSession session = SmtpSession.open(peer.hop(), Peer.MX_HOST, LoopbackSmtp.SETTINGS.withTls(TlsPolicy.NONE), TIMEOUTS,
                BUDGET)) {
            List<RecipientOutcome> outcomes = session.send(Envelope.of("app@example.org", recipients), LoopbackSmtp.content("\r\nx\r\n"),
                    BUDGET);

            for (RecipientOutcome outcome : outcomes) {
                assertEquals(Status.FAILED, outcome.status(), outcome.toString());
                assertEquals(550, outcome.replyCode());
                assertTrue(outcome.reply().startsWith("550-www"), outcome.reply().substring(0, 10));
            }
            assertTrue(!session.isBroken(), "refusals are no break");
        }
    }
}
