package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the promise of {@code Connection.send(envelope, content, budget, meanwhile)} against a
 * real server: the caller's work runs once the message's first commands have reached the server
 * and before any of its data has, once only, also when nothing is written; and when the work
 * throws, the server never sees the data's end, so a failure there cannot deliver the message.
 */
class WorkWhileWaitingTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);
    private static final byte[] CONTENT = LoopbackSmtp.content("Subject: meanwhile\r\n\r\nbody\r\n");
    private static final Envelope ENVELOPE = Envelope.of("app@example.org", "ann@example.org", "bob@example.org");

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();
    @AutoClose
    private final SmtpDeliverer deliverer = new SmtpDeliverer(LoopbackSmtp.SETTINGS);

    @ParameterizedTest(name = "pipelining {0}")
    @ValueSource(booleans = {true, false})
    void runsAfterTheFirstCommandsReachTheServerAndBeforeAnyData(boolean pipelining) throws Exception {
        server.extensions(pipelining ? new String[]{"PIPELINING", "8BITMIME"} : new String[]{"8BITMIME"});
        AtomicInteger runs = new AtomicInteger();
        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(ENVELOPE, CONTENT, LoopbackSmtp.BUDGET, () -> {
                runs.incrementAndGet();
                // The server reads the commands while we wait here: the round trip overlaps this work.
                Command last = pipelining ? Command.DATA : Command.MAIL;
                Await.until(DEADLINE, () -> server.count(last) == 1, () -> last + " reached the server first: " + server.transcript());
                assertEquals(0, server.count(Command.END_OF_DATA), "no data before the work is done: " + server.transcript());
                if (!pipelining) {
                    assertEquals(0, server.count(Command.RCPT), "without PIPELINING RCPT waits for MAIL's reply: " + server.transcript());
                }
            });

            assertEquals(1, runs.get());
            outcomes.forEach(outcome -> assertEquals(Status.DELIVERED, outcome.status(), outcomes.toString()));
            assertEquals(1, server.received().size());
        }
    }

    @Test
    void whenTheWorkThrowsTheConnectionIsDroppedBeforeTheDataAndNothingIsDelivered() throws Exception {
        server.extensions("PIPELINING", "8BITMIME");
        IllegalStateException failure = new IllegalStateException("the caller failed meanwhile");
        Deliverer.Connection connection = connect();
        try {
            IllegalStateException thrown = assertThrows(IllegalStateException.class,
                    () -> connection.send(ENVELOPE, CONTENT, LoopbackSmtp.BUDGET, () -> {
                        Await.until(DEADLINE, () -> server.count(Command.DATA) == 1, "DATA reached the server");
                        throw failure;
                    }));

            assertSame(failure, thrown);
            assertTrue(connection.isBroken(), "a transaction cut before its data leaves the connection unusable");
            server.awaitOpenConnections(0, DEADLINE);
            assertEquals(0, server.count(Command.END_OF_DATA), "the data never ended: " + server.transcript());
            assertEquals(List.of(), server.received());
        } finally {
            connection.close();
        }
    }

    @Test
    void runsOnceAlsoWhenNothingIsWritten() throws Exception {
        server.extensions("PIPELINING"); // no 8BITMIME: an 8-bit message is refused before MAIL
        byte[] eightBit = "Subject: 8bit\r\n\r\nna\u00efve\r\n".getBytes(StandardCharsets.UTF_8);
        AtomicInteger runs = new AtomicInteger();
        try (Deliverer.Connection connection = connect()) {
            List<RecipientOutcome> outcomes = connection.send(ENVELOPE, eightBit, LoopbackSmtp.BUDGET, runs::incrementAndGet);

            assertEquals(1, runs.get());
            assertEquals(Status.FAILED, outcomes.get(0).status(), outcomes.toString());
            assertEquals(0, server.count(Command.MAIL), server.transcript().toString());
        }
    }

    private Deliverer.Connection connect() throws Deliverer.ConnectFailedException {
        return deliverer.connect(new NextHop(server.host(), server.port()), LoopbackSmtp.BUDGET);
    }
}
