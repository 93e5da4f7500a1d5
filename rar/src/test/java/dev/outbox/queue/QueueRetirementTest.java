package dev.outbox.queue;

import dev.outbox.management.OutboxMBeans;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that the engine forgets a queue that has had nothing to do for ten minutes (with
 * routing by MX, every domain ever mailed would otherwise keep one), and its MBean goes with
 * it; that a queue with mail waiting, or frozen by an operator, is kept however long it waits;
 * and that mail for a forgotten destination gets a new queue and is delivered.
 */
class QueueRetirementTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer done = engine.server("done.example");
    private final ScriptedSmtpServer held = engine.server("held.example");
    private final ScriptedSmtpServer frozen = engine.server("frozen.example");
    private final MBeanServer mbeans = MBeanServerFactory.newMBeanServer();

    @Test
    void anIdleQueueIsForgottenAndABusyOrFrozenOneIsKept() throws Exception {
        held.script(Rules.on(Command.RCPT).reply("451 4.3.0 try later"));
        MailQueue queue = engine.start(EngineFixture.policy("1h", 1, 100, 8, Duration.ofMinutes(10)));
        OutboxMBeans beans = OutboxMBeans.start(mbeans, queue, EngineFixture.policy("1h", 1, 100, 8, Duration.ofMinutes(10)), Runnable::run);
        try {
            engine.submit("delivered", "a@done.example");
            engine.submit("deferred", "b@held.example");
            engine.submit("frozen later", "c@frozen.example");
            engine.await(() -> queue.deliveredCount() == 2 && queue.deferredCount() == 1 && engine.idle(), "two delivered, one deferred");
            queue.freezeQueue(EngineFixture.destination(frozen));
            beans.refresh();
            assertTrue(mbeans.isRegistered(OutboxMBeans.queueName(EngineFixture.destination(done))));

            engine.clock.advance(Duration.ofMinutes(9));
            queue.sweep();
            assertNotNull(queue.queue(EngineFixture.destination(done)), "kept for nine idle minutes");

            engine.clock.advance(Duration.ofMinutes(2));
            queue.sweep();
            beans.refresh();
            assertNull(queue.queue(EngineFixture.destination(done)), "forgotten after ten idle minutes");
            assertFalse(mbeans.isRegistered(OutboxMBeans.queueName(EngineFixture.destination(done))), "and its bean with it");
            assertNotNull(queue.queue(EngineFixture.destination(held)), "a queue with mail waiting is kept");
            assertNotNull(queue.queue(EngineFixture.destination(frozen)), "a frozen queue is kept");
            assertTrue(mbeans.isRegistered(OutboxMBeans.queueName(EngineFixture.destination(held))));

            engine.submit("again", "d@done.example");
            done.awaitReceived(2, EngineFixture.WAIT);
            engine.await(() -> queue.deliveredCount() == 3, "mail for a forgotten destination is delivered through a new queue");
            assertNotNull(queue.queue(EngineFixture.destination(done)));
            assertEquals(1, queue.queue(EngineFixture.destination(held)).messageCount());
        } finally {
            beans.close();
        }
    }
}
