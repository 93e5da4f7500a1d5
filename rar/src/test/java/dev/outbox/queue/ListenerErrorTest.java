package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Proves that an Error thrown by a transition listener (an OutOfMemoryError while building a
 * notification) strands no recipient in flight: it is delivered within a minute (a review found
 * the ledger caught only RuntimeException from listeners, so the recipient stayed IN_FLIGHT).
 */
class ListenerErrorTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aListenerErrorDoesNotStrandARecipientInFlight() {
        MailQueue queue = engine.start();
        AtomicBoolean once = new AtomicBoolean();
        queue.listen(t -> {
            if (t.to() == RecipientState.IN_FLIGHT && once.compareAndSet(false, true)) {
                throw new OutOfMemoryError("Java heap space (building a notification)");
            }
        });

        String id = engine.submit("listener error", "ann@a.example");
        engine.await(() -> queue.openConnections() == 0 && engine.threadsInSmtp().isEmpty(), "the connection ended");

        // A minute of simulated time with the sweep running every 10 s, as the EJB module does.
        for (int i = 0; i < 6; i++) {
            engine.clock.advance(Duration.ofSeconds(10));
            queue.sweep();
        }
        Await.until(Duration.ofSeconds(10), () -> engine.lastState(id, "ann@a.example") == RecipientState.DELIVERED,
                () -> "a minute later the recipient is still " + engine.states() + " with no connection open; OverdueRecipients "
                        + queue.overdueRecipients() + ", received " + server.received().size() + ", " + engine.describe());
    }
}
