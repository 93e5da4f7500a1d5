package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a queue leaving RETRY delivers its backlog on several connections at once, not one
 * by one, and delivers every message exactly once.
 */
class RetryClearedTest {

    private static final int MESSAGES = 20;

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void afterTheWakeupTheBacklogGoesOutOnSeveralConnectionsAtOnce() {
        AtomicBoolean refusing = new AtomicBoolean(true);
        AtomicInteger mostOpenAfterFirstMessage = new AtomicInteger();
        server.script(Rules.on(Command.CONNECT).when(e -> refusing.get()).close());
        server.script(exchange -> {
            if (exchange.command() == Command.END_OF_DATA && exchange.messagesAccepted() >= 1) {
                mostOpenAfterFirstMessage.accumulateAndGet(server.openConnections(), Math::max);
            }
            return null;
        });
        server.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofMillis(150)));
        MailQueue queue = engine.start(EngineFixture.policy("1m", 4, 100, 8, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));

        for (int i = 0; i < MESSAGES; i++) {
            engine.submit("backlog " + i, "r" + i + "@a.example");
        }
        TransferQueue transfer = engine.transfer();
        engine.await(() -> transfer.consecutiveFailures() == 1 && queue.openConnections() == 0, "the queue in RETRY, no connection open");
        assertEquals(QueueState.RETRY, transfer.state(engine.clock.millis()));
        assertEquals(MESSAGES, transfer.readyCount(), "every message waits in the ready queue");
        assertEquals(MESSAGES, engine.store().messageCount());
        long retryAt = EngineFixture.START.toEpochMilli() + Duration.ofMinutes(1).toMillis();
        assertEquals(retryAt, transfer.retryAtMillis());
        assertTrue(engine.wakeupsAsked().contains(new EngineFixture.Wakeup(transfer.name(), Instant.ofEpochMilli(retryAt))),
                engine.wakeupsAsked().toString());
        int refused = server.connectionsAccepted();

        refusing.set(false);
        engine.clock.advance(Duration.ofMillis(retryAt - engine.clock.millis()));
        queue.wake(transfer.name());

        engine.await(() -> server.openConnections() >= 2, () -> "more than one connection at once; open: " + server.openConnections());
        List<Received> received = server.awaitReceived(MESSAGES, EngineFixture.WAIT);
        engine.await(() -> queue.deliveredCount() == MESSAGES && engine.store().messageCount() == 0, "all delivered, the store empty");
        assertTrue(mostOpenAfterFirstMessage.get() >= 2,
                "once the first message went through, connections open at once: " + mostOpenAfterFirstMessage.get());
        assertTrue(server.connectionsAccepted() - refused <= 4, "at most 4 connections: " + (server.connectionsAccepted() - refused));
        Set<String> subjects = new HashSet<>();
        for (Received message : received) {
            assertTrue(subjects.add(message.header("Subject").orElseThrow()), "sent twice: " + message);
        }
        assertEquals(MESSAGES, received.size());
        assertEquals(0, transfer.consecutiveFailures());
        assertEquals(0, queue.stuckRecovered());
    }
}
