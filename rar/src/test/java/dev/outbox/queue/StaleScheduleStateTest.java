package dev.outbox.queue;

import dev.outbox.management.OutboxMBeans;
import dev.outbox.management.QueueMXBean;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import javax.management.JMX;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves what a console shows of a queue after the operator has deleted (or frozen) its deferred
 * mail: nothing waits for a time, so the queue is EMPTY with no next retry time. The deferred
 * recipients' entries stay in the queue's scheduled structure until their old due time (up to
 * the retry schedule's last step, 4 h by default), and State and NextRetryTime are read from that
 * structure: the queue says RETRY, next retry in 4 h, with MessageCount 0, and its bean cannot be
 * retired before then.
 */
class StaleScheduleStateTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aQueueWhoseDeferredMailWasDeletedShowsEmpty() throws Exception {
        server.script(Rules.on(Command.RCPT).reply("451 4.3.0 try later"));
        MailQueue queue = engine.start(EngineFixture.policy("4h", 1, 100, 8, Duration.ofMinutes(10)));
        MBeanServer mbeans = MBeanServerFactory.newMBeanServer();
        OutboxMBeans beans = OutboxMBeans.start(mbeans, queue, EngineFixture.policy("4h", 1, 100, 8, Duration.ofMinutes(10)), Runnable::run);
        engine.submit("one", "ann@a.example");
        engine.submit("two", "bob@a.example");
        engine.await(() -> queue.deferredCount() == 2 && engine.idle(), "both deferred for 4 h");
        String destination = EngineFixture.destination(server);
        QueueMXBean bean = JMX.newMXBeanProxy(mbeans, OutboxMBeans.queueName(destination), QueueMXBean.class);
        assertEquals("RETRY", bean.getState());

        assertEquals(2, bean.deleteAll(false));

        assertEquals(0, bean.getMessageCount());
        assertEquals("EMPTY", bean.getState() + (bean.getNextRetryTime().isEmpty() ? "" : ", next retry " + bean.getNextRetryTime()),
                "the queue's State after delete-all of its deferred mail");
        beans.close();
    }
}
