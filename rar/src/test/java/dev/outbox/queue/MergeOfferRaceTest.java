package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that the recipients of one message merged by one wake-up are all attempted: none is left
 * deferred, or QUEUED without a ready entry, where a connection could poll, and the open connection
 * takes them all with no sweep (a review found merge offered the message for its first recipient only).
 */
class MergeOfferRaceTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void everyRecipientMergedByOneWakeupIsTakenByTheOpenConnection() {
        // Both recipients of "pair" get 451 on connection 1: deferred together, due at the same time (jitter 0).
        server.script(Rules.on(Command.RCPT).onConnection(1).reply("451 4.3.0 try later"));
        // Connection 2 carries "other" and waits for its 250 until the test lets it go: it is open, and busy, during the wake.
        CountDownLatch atDot = new CountDownLatch(1);
        CountDownLatch answer = new CountDownLatch(1);
        server.script(exchange -> {
            if (exchange.command() == Command.END_OF_DATA && exchange.connection() == 2) {
                atDot.countDown();
                try {
                    answer.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return null;
        });
        // One connection a destination (the default): the wake cannot open another, so the open connection must take what it merges.
        MailQueue queue = engine.start();
        String pair = engine.submit("pair", "r1@a.example", "r2@a.example");
        engine.await(() -> engine.lastState(pair, "r1@a.example") == RecipientState.DEFERRED
                && engine.lastState(pair, "r2@a.example") == RecipientState.DEFERRED && queue.openConnections() == 0, "both deferred");

        // What a connection polling between two of the wake's transitions would find (told on the wake's thread, reads only).
        QueuedMessage message = queue.ledger.liveMessages().stream().filter(m -> m.id().equals(pair)).findFirst().orElseThrow();
        TransferQueue transfer = engine.transfer();
        List<String> seen = new CopyOnWriteArrayList<>();
        queue.listen(t -> {
            if (t.messageId().equals(pair) && t.from() == RecipientState.DEFERRED && t.to() == RecipientState.QUEUED) {
                seen.add(t.recipient() + " queued: ready entries " + transfer.readyCount() + ", still deferred " + deferred(message));
            }
        });

        try {
            engine.submit("other", "x@a.example");
            engine.await(() -> atDot.getCount() == 0, "connection 2 waits for the reply to the dot of \"other\"");
            engine.fire(); // merges r1 and r2 on this thread while connection 2 is busy

            assertEquals(List.of("r1@a.example queued: ready entries 1, still deferred []",
                    "r2@a.example queued: ready entries 1, still deferred []"), seen, "the merge as a polling connection would see it");
        } finally {
            answer.countDown();
        }

        // No sweep: the open connection, once "other" is done, must take r1 and r2.
        Await.until(Duration.ofSeconds(10),
                () -> engine.lastState(pair, "r2@a.example") == RecipientState.DELIVERED
                        && engine.lastState(pair, "r1@a.example") == RecipientState.DELIVERED,
                () -> "r2 was merged but never attempted: it is " + engine.lastState(pair, "r2@a.example")
                        + "; ready entries of its queue " + engine.transfer().readyCount() + ", " + engine.describe());
        assertEquals(0, queue.stuckRecovered());
        List<Received> pairs = server.received().stream().filter(m -> m.header("Subject").orElse("").equals("pair")).toList();
        assertEquals(1, pairs.size(), "one transaction for the pair: " + server.received());
        assertEquals(List.of("r1@a.example", "r2@a.example"), pairs.get(0).recipients());
        assertEquals(2, pairs.get(0).connection(), "carried by the connection open during the wake");
        assertEquals(2, server.connectionsAccepted(), "the wake opened no connection of its own");
    }

    /** The recipients of {@code message} still deferred; the caller holds its lock (a listener is told under it). */
    private static List<String> deferred(QueuedMessage message) {
        List<String> deferred = new ArrayList<>();
        for (int i = 0; i < message.recipientCount(); i++) {
            if (message.state(i) == RecipientState.DEFERRED) {
                deferred.add(message.recipient(i));
            }
        }
        return deferred;
    }
}
