package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * RecipientLedger.tell() catches RuntimeException from listeners, not Error. An Error from a
 * listener (an OutOfMemoryError while building a notification or DSN, an AssertionError)
 * thrown while take() tells QUEUED -> IN_FLIGHT escapes take() after the recipients were put
 * in flight, before the agent knows its Attempt (current is still null): run()'s catch settles
 * nothing, the connection slot is freed, and the recipients stay IN_FLIGHT with nobody carrying
 * them until the attempt's deadline (10 minutes by default) plus the sweep's grace. Meanwhile
 * OverdueRecipients says 0 and nothing attempts them although the queue is free.
 */
class ListenerErrorTest {

    @AutoClose
    private final ReviewEngine engine = new ReviewEngine();
    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void aListenerErrorDoesNotStrandARecipientInFlight() {
        MailQueue queue = engine.start(ReviewEngine.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), ReviewEngine.to(server));
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
