package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that an exception or error nobody planned for, thrown at the Deliverer seam, leaves no
 * recipient in flight: it is deferred, its queue enters RETRY, and the wake-up delivers it.
 */
class UnexpectedFailureTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void errorFromTheFirstSendDefersAndTheWakeupDelivers() {
        deferredThenDelivered(real -> new FirstSendFault(real, envelope -> {
            throw new AssertionError("boom");
        }));
    }

    @Test
    void runtimeExceptionFromTheFirstSendDefersAndTheWakeupDelivers() {
        deferredThenDelivered(real -> new FirstSendFault(real, envelope -> {
            throw new IllegalStateException("boom");
        }));
    }

    @Test
    void runtimeExceptionFromTheFirstConnectDefersAndTheWakeupDelivers() {
        deferredThenDelivered(real -> new Deliverer() {
            private boolean thrown;

            @Override
            public Connection connect(Destination destination, Duration budget, Abort abort) throws ConnectFailedException {
                if (!thrown) {
                    thrown = true;
                    throw new IllegalStateException("boom");
                }
                return real.connect(destination, budget, abort);
            }
        });
    }

    private void deferredThenDelivered(UnaryOperator<Deliverer> fault) {
        engine.wrapDeliverer(fault);
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 100, 8, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));

        String id = engine.submit("unexpected", "ann@a.example");

        engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.DEFERRED && queue.openConnections() == 0,
                "deferred after the failure, connection closed");
        TransferQueue transfer = engine.transfer();
        long retryAt = EngineFixture.START.toEpochMilli() + Duration.ofMinutes(1).toMillis();
        assertEquals(QueueState.RETRY, transfer.state(engine.clock.millis()));
        assertEquals(retryAt, transfer.retryAtMillis());
        assertEquals(1, transfer.consecutiveFailures());
        assertEquals(1, queue.deferredCount());
        assertEquals(List.of(new EngineFixture.Wakeup(transfer.name(), Instant.ofEpochMilli(retryAt))), engine.wakeupsAsked());
        assertEquals(0, queue.overdueRecipients());
        assertEquals(0, server.count(Command.MAIL), "nothing was transferred");
        assertEquals(1, engine.store().messageCount());

        engine.clock.advance(Duration.ofMillis(retryAt - engine.clock.millis()));
        queue.wake(transfer.name());

        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> queue.deliveredCount() == 1 && engine.store().messageCount() == 0, "delivered and gone from the store");
        assertEquals(1, engine.entered(id, "ann@a.example", RecipientState.DELIVERED));
        assertEquals(0, queue.stuckRecovered());
        assertEquals(0, transfer.consecutiveFailures());
    }
}
