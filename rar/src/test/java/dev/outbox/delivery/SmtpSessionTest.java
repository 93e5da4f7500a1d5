package dev.outbox.delivery;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.user.UserException;
import dev.outbox.api.Envelope;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import jakarta.mail.MessagingException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.SETTINGS;
import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static dev.outbox.delivery.LoopbackSmtp.body;
import static dev.outbox.delivery.LoopbackSmtp.content;
import static dev.outbox.delivery.LoopbackSmtp.nextHop;
import static dev.outbox.delivery.LoopbackSmtp.onlyReceived;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves what an SMTP session puts on the wire to a real server and how it classifies the replies per recipient. */
class SmtpSessionTest {

    @RegisterExtension
    static final GreenMailExtension SERVER = LoopbackSmtp.server();

    /**
     * Angus logs each protocol line at FINEST under the package of the transport's class, plus
     * ".protocol": Outbox's SmtpTransport is in dev.outbox.delivery. Held so the level set below
     * is not collected with the logger.
     */
    private static final Logger PROTOCOL = Logger.getLogger("dev.outbox.delivery.protocol");

    private final Transcript transcript = new Transcript();

    @BeforeEach
    void recordTheDialogue() {
        PROTOCOL.setLevel(Level.FINEST);
        PROTOCOL.addHandler(transcript);
    }

    @AfterEach
    void stopRecording() {
        PROTOCOL.removeHandler(transcript);
        PROTOCOL.setLevel(null);
    }

    @Test
    void dotLinesArriveIntact() throws Exception {
        String body = ".\r\n..\r\n.leading dot\r\n..two leading dots\r\nmiddle . dot\r\n.\r\nlast\r\n";

        List<RecipientOutcome> outcomes = send(Envelope.of("app@example.org", "ann@example.org"), content("Subject: dots\r\n\r\n" + body));

        assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
        assertEquals(body.substring(0, body.length() - 2), body(onlyReceived(SERVER)));
        // Each line starting with a dot went out with one more (RFC 5321 section 4.5.2).
        assertTrue(transcript.lines().containsAll(List.of("..", "...", "..leading dot", "...two leading dots")), transcript.lines().toString());
    }

    @Test
    void nullReversePathIsSentAsEmptyMailFrom() {
        send(Envelope.of("", "ann@example.org"), content("Subject: bounce\r\n\r\nundeliverable\r\n"));

        assertTrue(transcript.lines().contains("MAIL FROM:<>"), transcript.lines().toString());
    }

    @Test
    void reversePathIsSentAsMailFrom() {
        send(Envelope.of("\"odd sender\"@example.org", "ann@example.org"), content("Subject: x\r\n\r\nx\r\n"));

        assertTrue(transcript.lines().contains("MAIL FROM:<\"odd sender\"@example.org>"), transcript.lines().toString());
    }

    @Test
    void refusalAtRcptFailsEachRecipientWithItsReplyCode() {
        // GreenMail 2.1.3 cannot be told to refuse a recipient, but after MAIL FROM:<> it answers
        // every RCPT with "503 MAIL must come before RCPT": a real 5xx refusal at RCPT.
        Envelope envelope = Envelope.of("", "ann@example.org", "bob@example.org");

        List<RecipientOutcome> outcomes = send(envelope, content("Subject: bounce\r\n\r\nundeliverable\r\n"));

        assertEquals(envelope.recipients(), outcomes.stream().map(RecipientOutcome::recipient).toList());
        for (RecipientOutcome outcome : outcomes) {
            assertEquals(Status.FAILED, outcome.status(), outcome.toString());
            assertEquals(503, outcome.replyCode(), outcome.toString());
            assertTrue(outcome.reply().startsWith("503 "), outcome.reply());
        }
        assertEquals(0, SERVER.getReceivedMessages().length);
    }

    @Test
    void temporaryRefusalOfTheDataDefersEveryRecipient() {
        // A failing mailbox store makes GreenMail answer the end of data with 451.
        SERVER.getUserManager().setMessageDeliveryHandler((message, address) -> {
            throw new UserException("mailbox store unavailable");
        });
        Envelope envelope = Envelope.of("app@example.org", "ann@example.org", "bob@example.org");

        List<RecipientOutcome> outcomes = send(envelope, content("Subject: x\r\n\r\nx\r\n"));

        assertEquals(envelope.recipients(), outcomes.stream().map(RecipientOutcome::recipient).toList());
        for (RecipientOutcome outcome : outcomes) {
            assertEquals(Status.DEFERRED, outcome.status(), outcome.toString());
            assertEquals(451, outcome.replyCode(), outcome.toString());
            assertTrue(outcome.reply().contains("451"), outcome.reply());
        }
    }

    @Test
    void carriesSeveralMessagesOverOneConnection() throws Exception {
        try (SmtpSession session = SmtpSession.open(nextHop(SERVER), Peer.MX_HOST, SETTINGS, TIMEOUTS, BUDGET)) {
            List<RecipientOutcome> first = session.send(Envelope.of("app@example.org", "ann@example.org"), content("Subject: 1\r\n\r\none\r\n"), BUDGET);
            List<RecipientOutcome> second = session.send(Envelope.of("app@example.org", "bob@example.org"), content("Subject: 2\r\n\r\ntwo\r\n"), BUDGET);

            assertEquals(Status.DELIVERED, first.get(0).status(), first.toString());
            assertEquals(Status.DELIVERED, second.get(0).status(), second.toString());
        }
        assertTrue(SERVER.waitForIncomingEmail(5_000, 2));
        assertEquals(1, transcript.lines().stream().filter(line -> line.startsWith("EHLO ")).count(), transcript.lines().toString());
        assertTrue(transcript.lines().contains("QUIT"), transcript.lines().toString());
    }

    @Test
    void refusesToSendAfterClose() throws Exception {
        SmtpSession session = SmtpSession.open(nextHop(SERVER), Peer.MX_HOST, SETTINGS, TIMEOUTS, BUDGET);
        session.close();

        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> session.send(Envelope.of("app@example.org", "ann@example.org"), content("Subject: x\r\n\r\nx\r\n"), BUDGET));

        assertEquals("SMTP session to " + nextHop(SERVER) + " is closed", e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({
            "250, DELIVERED", "251, DELIVERED",
            "421, DEFERRED", "450, DEFERRED", "451, DEFERRED", "452, DEFERRED",
            "550, FAILED", "551, FAILED", "552, FAILED", "553, FAILED", "554, FAILED",
            // Not an answer to a transaction: worth another try, never a bounce.
            "0, DEFERRED", "354, DEFERRED", "600, DEFERRED",
    })
    void classifiesReplyCodes(int replyCode, Status expected) {
        assertEquals(expected, MailTransaction.statusOf(replyCode));
    }

    private static List<RecipientOutcome> send(Envelope envelope, byte[] content) {
        try (SmtpSession session = SmtpSession.open(nextHop(SERVER), Peer.MX_HOST, SETTINGS, TIMEOUTS, BUDGET)) {
            return session.send(envelope, content, BUDGET);
        } catch (MessagingException e) {
            throw new AssertionError("cannot connect to GreenMail", e);
        }
    }

    /** The protocol lines Angus logged, both directions, in order. */
    private static final class Transcript extends Handler {
        private final List<String> lines = Collections.synchronizedList(new ArrayList<>());

        Transcript() {
            setLevel(Level.ALL);
        }

        List<String> lines() {
            synchronized (lines) {
                return List.copyOf(lines);
            }
        }

        @Override
        public void publish(LogRecord record) {
            lines.add(record.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }
}
