package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rule;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.Trigger;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Proves that every message a connection broke in the middle of a batch is merged back and delivered at the queue's next retry, with no restart (KB 826948 by connection). */
class RetryMergeAfterMidBatchFailureTest {

    /** How the server drops connection 1 at MAIL FROM of its 4th message: without a reply, with an RST, or saying 421. */
    enum Drop {
        CLOSE(Trigger::close),
        RESET(Trigger::reset),
        REPLY_421(trigger -> trigger.reply("421 4.3.2 Service shutting down"));

        final Function<Trigger, Rule> reaction;

        Drop(Function<Trigger, Rule> reaction) {
            this.reaction = reaction;
        }
    }

    @AutoClose
    private final EngineFixture engine = new EngineFixture();

    @ParameterizedTest
    @EnumSource(Drop.class)
    void messagesSkippedWhenTheConnectionBrokeAreAllDeliveredAtTheNextRetry(Drop drop) throws Exception {
        engine.server().script(drop.reaction.apply(Rules.on(Command.MAIL).onConnection(1).when(exchange -> exchange.messagesCompleted() == 3)));
        MailQueue queue = engine.hold().start();
        List<String> subjects = new ArrayList<>();
        for (int i = 1; i <= 10; i++) {
            subjects.add("message " + i);
            engine.submit("message " + i, "m" + i + "@example.org");
        }
        engine.release(); // one connection takes the ten in order

        engine.awaitIdle();
        TransferQueue transfer = engine.transfer();
        assertEquals(List.of("message 1", "message 2", "message 3"), List.copyOf(EngineFixture.perSubject(engine.server().received()).keySet()));
        assertEquals(QueueState.RETRY, transfer.state(engine.clock.millis()), engine.describe());
        assertEquals(1, transfer.consecutiveFailures());
        assertFalse(transfer.lastError().isEmpty(), "RETRY names its reason");
        assertEquals(7, engine.store().messageCount(), "the seven not acknowledged are still queued");
        assertEquals(1, engine.server().connectionsAccepted(), "nothing more before the retry");
        Instant retryAt = Instant.ofEpochMilli(transfer.retryAtMillis());
        assertEquals(retryAt, engine.pendingWakeup(), "the engine asked for a wake-up at its retry time");

        assertEquals(retryAt, engine.fire());
        engine.awaitIdle();

        EngineFixture.assertEachOnce(subjects, EngineFixture.perSubject(engine.server().received()));
        assertEquals(10, queue.deliveredCount());
        assertEquals(0, queue.stuckRecovered());
        assertEquals(0, engine.store().messageCount());
        assertEquals(2, engine.server().connectionsAccepted(), "the seven went out on the retry's one connection");
        assertEquals(QueueState.EMPTY, transfer.state(engine.clock.millis()));
        assertEquals(0, transfer.consecutiveFailures());
        assertEquals(retryAt, engine.clock.instant(), "no time passed beyond the retry");
    }
}
