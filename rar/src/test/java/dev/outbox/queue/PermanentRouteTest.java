package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves what a destination that can never take mail does (its domain does not exist, or has a
 * null MX): the deliverer says so with a permanent failure, and every recipient waiting for it
 * bounces at once with that reason, with no retry, while other destinations deliver as usual.
 * The failure comes from our own Deliverer seam here; the DNS answers behind it are proved in
 * the routing tests.
 */
class PermanentRouteTest {

    private static final String NULL_MX = "556 5.1.10 gone.example has a null MX (RFC 7505): it accepts no mail";

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer gone = engine.server("gone.example");
    private final ScriptedSmtpServer live = engine.server("live.example");
    private final AtomicInteger connectsToGone = new AtomicInteger();

    @Test
    void everyRecipientOfANullMxDomainBouncesAtOnceAndOthersAreDelivered() {
        String goneName = EngineFixture.destination(gone);
        engine.wrapDeliverer(real -> (destination, budget, abort) -> {
            if (destination.name().equals(goneName)) {
                connectsToGone.incrementAndGet();
                throw Deliverer.ConnectFailedException.permanent(556, NULL_MX);
            }
            return real.connect(destination, budget, abort);
        });
        engine.hold(); // three messages wait, so one connect settles them all
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)));
        String first = engine.submit("one", "a@gone.example");
        String second = engine.submit("two", "b@gone.example", "c@live.example");
        String third = engine.submit("three", "d@gone.example");
        engine.release();

        engine.await(() -> queue.bouncedCount() == 3 && queue.deliveredCount() == 1 && engine.idle(), "three bounced, one delivered");
        assertEquals(RecipientState.BOUNCED, engine.lastState(first, "a@gone.example"));
        assertEquals(RecipientState.BOUNCED, engine.lastState(second, "b@gone.example"));
        assertEquals(RecipientState.DELIVERED, engine.lastState(second, "c@live.example"));
        assertEquals(RecipientState.BOUNCED, engine.lastState(third, "d@gone.example"));
        assertTrue(engine.transitions().stream().filter(t -> t.to() == RecipientState.BOUNCED)
                .allMatch(t -> t.replyCode() == 556 && t.reply().equals(NULL_MX)), () -> "bounced with the reason: " + engine.transitions());
        TransferQueue goneQueue = engine.transfer(gone);
        assertNotEquals(QueueState.RETRY, goneQueue.state(engine.clock.millis()), "no retry can help");
        assertEquals(0, goneQueue.consecutiveFailures());
        assertEquals(0, engine.store().messageCount(), "nothing left to deliver");
        assertEquals(0, gone.received().size());
        assertEquals(1, live.received().size());
    }
}
