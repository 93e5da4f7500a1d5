package dev.outbox.queue;

import dev.outbox.testing.smtp.Rules;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that recipients deferred together by per-recipient 4xx replies, each with its own jitter, all come back at their own times (KB 826948 per recipient). */
class PerRecipientRetryTest {

    private final AtomicLong jitterCalls = new AtomicLong();

    @AutoClose
    private final EngineFixture engine = new EngineFixture();

    /**
     * With {@code sameJitter} 1 every deferred recipient gets its own due time; with 5, five at
     * a time share one, so a wake-up merges five, of which the relay takes three and refuses two again.
     */
    @ParameterizedTest(name = "recipients sharing a due time: {0}")
    @ValueSource(ints = {1, 5})
    void twentyRecipientsToARelayTakingThreeATransactionAreEachDeliveredOnceWithoutASweep(int sameJitter) throws Exception {
        engine.policy(EngineFixture.policy(RetrySchedule.parse("1m,5m,15m").withJitter(n -> jitterCalls.getAndIncrement() / sameJitter % n),
                1, 100, QueuePolicy.DEFAULT_MAX_CONNECTIONS, Duration.ofSeconds(30)));
        engine.server().script(Rules.recipientsPerTransaction(3, "452 4.5.3 Too many recipients"));
        MailQueue queue = engine.start();
        String[] recipients = EngineFixture.recipients(20);

        engine.submit("twenty", recipients);
        engine.awaitIdle();
        assertEquals(3, queue.deliveredCount(), "the first transaction takes three");
        assertEquals(17, engine.transfer().scheduledCount(), "the other seventeen wait, each for its own time");

        int fired = engine.driveUntil(() -> queue.deliveredCount() == 20, Duration.ofDays(1));

        if (sameJitter == 1) {
            assertEquals(17, fired, "one wake-up for each deferred recipient, whose due times all differ");
        }
        EngineFixture.assertEachOnce(Arrays.asList(recipients), EngineFixture.perRecipient(engine.server().received()));
        EngineFixture.assertEachOnce(engine.deliveredTransitions().keySet().stream().toList(), engine.deliveredTransitions());
        assertEquals(20, engine.deliveredTransitions().size());
        assertEquals(0, queue.stuckRecovered(), "nothing needed the sweep");
        assertEquals(0, queue.overdueRecipients());
        assertEquals(0, engine.store().messageCount(), "the finished message left the store");
        assertEquals(QueueState.EMPTY, engine.transfer().state(engine.clock.millis()));
        assertTrue(engine.clock.instant().isBefore(EngineFixture.START.plus(Duration.ofDays(1))), engine.clock.instant().toString());
    }
}
