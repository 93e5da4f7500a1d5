package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Proves that a connection the executor refuses a thread for is counted and retried by the queue's timer about a second later, until it gets one. */
class RefusedThreadTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture().refuseFirst(2);

    @Test
    void aRefusedThreadIsCountedAndTheWakeUpASecondLaterDeliversTheMail() throws Exception {
        MailQueue queue = engine.start();

        engine.submit("refused", "r@example.org"); // the executor refuses its connection in submit's dispatch

        assertEquals(1, queue.refusedThreads());
        assertEquals(0, queue.openConnections());
        Instant submitted = engine.clock.instant();
        assertEquals(submitted.plusSeconds(1), engine.pendingWakeup(), "a wake-up a second later");

        assertEquals(submitted.plusSeconds(1), engine.fire()); // refused again
        assertEquals(2, queue.refusedThreads());
        assertEquals(submitted.plusSeconds(2), engine.pendingWakeup(), "again a second after that");
        assertEquals(0, engine.server().connectionsAccepted(), "nothing was sent while no thread could be had");

        engine.fire();
        engine.server().awaitReceived(1, EngineFixture.WAIT);
        engine.awaitIdle();

        assertEquals(2, queue.refusedThreads());
        assertEquals(1, queue.deliveredCount());
        assertEquals(1, engine.server().count(Command.MAIL));
        assertEquals(0, engine.store().messageCount());
        assertEquals(0, queue.stuckRecovered());
        assertEquals(submitted.plus(Duration.ofSeconds(2)), engine.clock.instant());
    }
}
