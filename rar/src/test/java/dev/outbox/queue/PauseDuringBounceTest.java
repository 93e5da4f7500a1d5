package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that an operator's pause holds the mail of a destination that has just been found
 * unable to take mail: the connection that found it bounces the message it carries, as an open
 * connection finishes its message, and then takes no more. An operator pauses when something
 * is wrong everywhere, a resolver answering NXDOMAIN for every domain being the classic case,
 * and every message bounced after the pause is mail lost to that fault.
 */
class PauseDuringBounceTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer gone = engine.server("gone.example");

    @Test
    void aPauseStopsTheBouncingOfTheReadyMessages() {
        String goneName = EngineFixture.destination(gone);
        engine.wrapDeliverer(real -> (destination, budget, abort) -> {
            if (destination.name().equals(goneName)) {
                throw Deliverer.ConnectFailedException.permanent(550, "550 5.1.2 gone.example does not exist: NXDOMAIN");
            }
            return real.connect(destination, budget, abort);
        });
        engine.hold(); // three messages wait, so one connection finds them all ready
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)));
        AtomicBoolean paused = new AtomicBoolean();
        queue.listen(transition -> {
            if (transition.to() == RecipientState.BOUNCED && paused.compareAndSet(false, true)) {
                queue.pause(); // the operator, right after the first bounce
            }
        });
        String first = engine.submit("one", "a@gone.example");
        String second = engine.submit("two", "b@gone.example");
        String third = engine.submit("three", "c@gone.example");
        engine.release();

        engine.await(() -> queue.openConnections() == 0 && queue.bouncedCount() >= 1, "the connection ended");
        assertEquals(RecipientState.BOUNCED, engine.lastState(first, "a@gone.example"), "the message it carried");
        assertEquals(RecipientState.QUEUED, engine.lastState(second, "b@gone.example"), "held by the pause");
        assertEquals(RecipientState.QUEUED, engine.lastState(third, "c@gone.example"), "held by the pause");
        assertEquals(1, queue.bouncedCount());
    }
}
