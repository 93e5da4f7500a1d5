package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that an engine told to wait for its retry clock (as the adapter's is, until a wake-up
 * has come back from the EJB timers of a server that has finished starting) delivers nothing
 * meanwhile, counts nothing as overdue however long that takes, and delivers everything once
 * the clock works: the chaos soak saw recovered mail overdue while WildFly was still starting.
 */
class AwaitClockTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture().awaitingClock();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void nothingGoesOutAndNothingIsOverdueUntilTheClockWorks() {
        MailQueue queue = engine.start();
        engine.submit("one", "ann@a.example");
        engine.submit("two", "bob@a.example");
        engine.clock.advance(Duration.ofMinutes(5));
        queue.sweep();

        assertTrue(queue.awaitingClock());
        assertEquals(0, server.count(Command.MAIL), "no connection while the clock is not known to work");
        assertEquals(0, queue.overdueRecipients(), "held mail is not overdue");
        assertEquals(0, queue.stuckRecovered());
        assertEquals(2, engine.count(RecipientState.QUEUED));

        queue.clockWorks();
        engine.await(() -> queue.deliveredCount() == 2 && engine.idle(), "both delivered once the clock works");
        assertEquals(2, server.count(Command.MAIL));
        assertEquals(0, queue.stuckRecovered());
    }
}
