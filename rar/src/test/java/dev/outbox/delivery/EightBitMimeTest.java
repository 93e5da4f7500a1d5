package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.QueuePolicy;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.queue.RetrySchedule;
import dev.outbox.queue.Submission;
import dev.outbox.queue.SubmitLimits;
import dev.outbox.queue.Transition;
import dev.outbox.store.MemoryStore;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves RFC 6152 handling: 8-bit content goes out with BODY=8BITMIME to a server offering
 * 8BITMIME and arrives byte for byte, 7-bit content goes out without BODY=, and 8-bit content to a
 * server without 8BITMIME is refused per recipient as a permanent failure before any transfer,
 * so the engine bounces it instead of deferring it.
 */
class EightBitMimeTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final Envelope ENVELOPE = Envelope.of("app@example.org", "ann@example.org", "bob@example.org");
    private static final byte[] EIGHT_BIT = ("From: app@example.org\r\nTo: ann@example.org, bob@example.org\r\n"
            + "Subject: eight bit\r\nMessage-ID: <8bit@example.org>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
            + "Grüße aus Köln, ½ € – ☃\r\n.leading dot\r\n").getBytes(StandardCharsets.UTF_8);
    private static final byte[] SEVEN_BIT = ("From: app@example.org\r\nTo: ann@example.org\r\nSubject: seven bit\r\n"
            + "Message-ID: <7bit@example.org>\r\n\r\nplain ASCII\r\n").getBytes(StandardCharsets.US_ASCII);

    @AutoClose
    private final ScriptedSmtpServer offering = ScriptedSmtpServer.start(); // its default EHLO offers 8BITMIME
    @AutoClose
    private final ScriptedSmtpServer notOffering = ScriptedSmtpServer.start().extensions("SIZE 104857600", "ENHANCEDSTATUSCODES");
    @AutoClose
    private final SmtpDeliverer deliverer = new SmtpDeliverer(LoopbackSmtp.SETTINGS);

    @Test
    void eightBitContentGoesOutWithBody8BitMimeAndArrivesByteForByte() throws Exception {
        assertArrivesIntactAfter("<app@example.org> BODY=8BITMIME", EIGHT_BIT);
    }

    @Test
    void sevenBitContentGoesOutWithoutBody() throws Exception {
        assertArrivesIntactAfter("<app@example.org>", SEVEN_BIT);
    }

    @Test
    void eightBitContentToAServerWithout8BitMimeFailsEachRecipientPermanentlyAndTransfersNothing() throws Exception {
        try (Deliverer.Connection connection = deliverer.connect(hop(notOffering), LoopbackSmtp.BUDGET)) {
            List<RecipientOutcome> outcomes = connection.send(ENVELOPE, EIGHT_BIT, LoopbackSmtp.BUDGET);

            assertEquals(ENVELOPE.recipients(), outcomes.stream().map(RecipientOutcome::recipient).toList());
            for (RecipientOutcome outcome : outcomes) {
                assertEquals(Status.FAILED, outcome.status(), outcome.toString());
                assertTrue(outcome.reply().contains("5.6.3") && outcome.reply().contains("8BITMIME"), outcome.reply());
            }
            assertFalse(connection.isBroken(), "a refusal of ours leaves the connection usable");
            assertEquals(0, notOffering.count(Command.MAIL));
            assertEquals(0, notOffering.count(Command.DATA));

            // The same connection still carries 7-bit mail.
            assertEquals(List.of(Status.DELIVERED, Status.DELIVERED), statuses(connection.send(ENVELOPE, SEVEN_BIT, LoopbackSmtp.BUDGET)));
        }
        Received only = notOffering.awaitReceived(1, DEADLINE).get(0);
        assertArrayEquals(SEVEN_BIT, only.data());
        assertEquals(1, notOffering.received().size());
    }

    @Test
    void engineBouncesEightBitMailForAServerWithout8BitMimeInsteadOfDeferringIt() throws Exception {
        MemoryStore store = new MemoryStore();
        List<Transition> transitions = new CopyOnWriteArrayList<>();
        ExecutorService threads = Executors.newCachedThreadPool();
        Destination hop = Destination.smarthost(hop(notOffering));
        MailQueue queue = new MailQueue(Clock.systemUTC(), store, recipient -> hop, deliverer, threads, (destination, due) -> true,
                new QueuePolicy(RetrySchedule.parse("1m"), Duration.ofDays(2), 2, 100));
        try {
            queue.listen(transitions::add);
            queue.start();

            queue.submit(Submission.of(new ByteArrayInputStream(EIGHT_BIT), Envelope.of("app@example.org", "ann@example.org"),
                    new SubmitLimits(1 << 20, 10), "outbox.test"));

            // The listener hears the transition after the counters and the store change: wait for all three.
            Await.until(DEADLINE, () -> queue.bouncedCount() == 1 && store.messageCount() == 0
                            && transitions.stream().anyMatch(t -> t.to() == RecipientState.BOUNCED),
                    () -> "bounced, told and gone from the store; transitions " + transitions);
            assertEquals(0, queue.deferredCount());
            assertEquals(0, queue.deliveredCount());
            Transition bounce = transitions.stream().filter(t -> t.to() == RecipientState.BOUNCED).findFirst().orElseThrow();
            assertTrue(bounce.reply().contains("5.6.3"), bounce.reply());
            assertEquals(0, transitions.stream().filter(t -> t.to() == RecipientState.DEFERRED).count(), transitions.toString());
            assertEquals(0, notOffering.count(Command.DATA));
        } finally {
            queue.stop(2_000);
            threads.shutdownNow();
            assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    /** Sends {@code content} to the server offering 8BITMIME: delivered to both recipients, with {@code mailFrom}, byte for byte. */
    private void assertArrivesIntactAfter(String mailFrom, byte[] content) throws Exception {
        try (Deliverer.Connection connection = deliverer.connect(hop(offering), LoopbackSmtp.BUDGET)) {
            List<RecipientOutcome> outcomes = connection.send(ENVELOPE, content, LoopbackSmtp.BUDGET);
            assertEquals(List.of(Status.DELIVERED, Status.DELIVERED), statuses(outcomes), outcomes.toString());
            assertFalse(connection.isBroken());
        }
        Received received = offering.awaitReceived(1, DEADLINE).get(0);
        assertEquals(mailFrom, received.mailFrom());
        assertArrayEquals(content, received.data());
    }

    private static NextHop hop(ScriptedSmtpServer server) {
        return new NextHop(server.host(), server.port());
    }

    private static List<Status> statuses(List<RecipientOutcome> outcomes) {
        return outcomes.stream().map(RecipientOutcome::status).toList();
    }
}
