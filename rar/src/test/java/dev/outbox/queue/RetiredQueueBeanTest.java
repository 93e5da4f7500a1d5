package dev.outbox.queue;

import dev.outbox.management.OutboxMBeans;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a destination's MBean shows the queue the engine delivers through, also when the
 * engine forgot the destination's idle queue at a sweep and mail for it came before the
 * adapter's refresh of the beans (which it runs right after the sweep): the new queue's mail,
 * state and last error are what an operator reads, not those of the queue forgotten.
 */
class RetiredQueueBeanTest {

    private static final QueuePolicy POLICY = EngineFixture.policy("1h", 1, 100, 8, Duration.ofMinutes(10));

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer relay = engine.server("relay.example");
    private final MBeanServer mbeans = MBeanServerFactory.newMBeanServer();

    @Test
    void theBeanOfADestinationShowsItsNewQueueAfterTheOldOneWasForgotten() throws Exception {
        MailQueue queue = engine.start(POLICY);
        OutboxMBeans beans = OutboxMBeans.start(mbeans, queue, POLICY, Runnable::run);
        try {
            engine.submit("first", "a@relay.example");
            engine.await(() -> queue.deliveredCount() == 1 && engine.idle(), "the first delivered");
            beans.refresh(); // the adapter refreshes after every sweep
            engine.clock.advance(Duration.ofMinutes(11));
            queue.sweep(); // the idle queue is forgotten here...

            relay.script(Rules.on(Command.RCPT).reply("451 4.3.0 try later"));
            engine.submit("second", "b@relay.example"); // ...and mail for it comes before the beans' refresh
            engine.await(() -> queue.deferredCount() == 1 && engine.idle(), "the second deferred");
            beans.refresh();

            String destination = EngineFixture.destination(relay);
            TransferQueue current = queue.queue(destination);
            ObjectName name = OutboxMBeans.queueName(destination);
            long now = engine.clock.millis();
            assertAll(
                    () -> assertEquals(current.messageCount(), mbeans.getAttribute(name, "MessageCount"), "MessageCount"),
                    () -> assertEquals(current.state(now).name(), mbeans.getAttribute(name, "State"), "State"));
        } finally {
            beans.close();
        }
    }
}
