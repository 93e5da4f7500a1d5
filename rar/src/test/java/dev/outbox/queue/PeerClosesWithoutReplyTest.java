package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that a server closing without a reply (Angus's code -1, EOF) breaks the connection: the queue enters RETRY and the next message waits for the retry instead of going to the dead connection. */
class PeerClosesWithoutReplyTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();

    @Test
    void eofAtRcptPutsTheQueueIntoRetryAndTheSecondMessageWaitsForIt() throws Exception {
        engine.server().script(Rules.on(Command.RCPT).onConnection(1).close());
        MailQueue queue = engine.hold().start();
        String first = engine.submit("first", "one@example.org");
        String second = engine.submit("second", "two@example.org");
        engine.release(); // one connection, both messages waiting for it

        engine.awaitIdle();

        TransferQueue transfer = engine.transfer();
        assertEquals(QueueState.RETRY, transfer.state(engine.clock.millis()), engine.describe());
        assertEquals(1, transfer.consecutiveFailures());
        assertEquals(1, engine.server().connectionsAccepted());
        assertEquals(1, engine.server().count(Command.MAIL), "no MAIL for the second message before the retry");
        List<String> clientLines = engine.server().transcript().stream().filter(line -> line.startsWith("1 C: ")).toList();
        assertTrue(clientLines.get(clientLines.size() - 1).startsWith("1 C: RCPT"), "nothing after the RCPT: " + clientLines);
        assertEquals(List.of(), inFlight(second), "the second message was never taken for the dead connection");
        assertEquals(List.of(first), engine.transitions().stream()
                .filter(t -> t.to() == RecipientState.DEFERRED).map(Transition::messageId).toList(), "only the first was attempted");

        engine.driveUntil(() -> queue.deliveredCount() == 2, java.time.Duration.ofHours(1));

        assertEquals(2, engine.server().connectionsAccepted(), "both went out on the retry's connection");
        EngineFixture.assertEachOnce(List.of("first", "second"), EngineFixture.perSubject(engine.server().received()));
        assertEquals(0, queue.stuckRecovered());
        assertEquals(0, engine.store().messageCount());
    }

    /** The recipients of {@code messageId} taken in flight so far. */
    private List<String> inFlight(String messageId) {
        return engine.transitions().stream()
                .filter(t -> t.messageId().equals(messageId) && t.to() == RecipientState.IN_FLIGHT).map(Transition::recipient).toList();
    }
}
