package dev.outbox.queue;

import dev.outbox.management.MessageDetail;
import dev.outbox.management.OutboxMBeans;
import dev.outbox.management.QueueManagerMXBean;
import dev.outbox.management.QueueMXBean;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import javax.management.JMX;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the MXBeans over the real engine in an MBeanServer, through JMX proxies as a console
 * uses them: counts and a queue's attributes, the read-only operations reported with impact
 * INFO and the rest ACTION, getMessage showing a deferred recipient's last reply, a bounce sent
 * as a notification with open-type data, and a queue's bean gone after ten idle minutes.
 */
class ManagementBeansTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();
    private final MBeanServer mbeans = MBeanServerFactory.newMBeanServer();
    private OutboxMBeans beans;

    @Test
    void consoleSeesCountsQueuesLastRepliesAndBounces() throws Exception {
        server.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("ann@")).reply("451 4.7.1 greylisted"));
        server.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("nobody@")).reply("550 5.1.1 no such user"));
        MailQueue queue = engine.start();
        beans = OutboxMBeans.start(mbeans, queue, EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), Runnable::run);
        List<Notification> heard = new ArrayList<>();
        ObjectName managerName = new ObjectName("outbox:type=QueueManager");
        mbeans.addNotificationListener(managerName, (notification, handback) -> heard.add(notification), null, null);
        QueueManagerMXBean manager = JMX.newMXBeanProxy(mbeans, managerName, QueueManagerMXBean.class);

        String greylisted = engine.submit("greylisted", "ann@a.example");
        engine.submit("refused", "nobody@a.example");
        engine.await(() -> queue.deferredCount() == 1 && queue.bouncedCount() == 1 && engine.idle(), "one deferred, one bounced");

        ObjectName queueName = OutboxMBeans.queueName(EngineFixture.destination(server));
        assertTrue(mbeans.isRegistered(queueName), queueName + " registered");
        QueueMXBean transfer = JMX.newMXBeanProxy(mbeans, queueName, QueueMXBean.class);
        assertEquals(1, manager.getDeferred());
        assertEquals(1, manager.getBounced());
        assertEquals(0, manager.getOverdueRecipients());
        assertEquals(1, manager.getMessageCount());
        assertEquals(1, transfer.getMessageCount());
        assertEquals("RETRY", transfer.getState(), "only a deferred recipient waits, for its time");
        assertEquals(EngineFixture.START.plus(Duration.ofMinutes(1)).toString(), transfer.getNextRetryTime());

        MessageDetail detail = manager.getMessage(greylisted);
        assertEquals("DEFERRED", detail.getRecipients()[0].getState());
        assertEquals("451 4.7.1 greylisted", detail.getRecipients()[0].getLastReply());
        assertTrue(detail.getHeaders().contains("Subject: greylisted\r\n"), detail.getHeaders());
        assertEquals(1, manager.findMessages("ann@", 0, 10).length);
        assertEquals(0, manager.findMessages("nobody@", 0, 10).length, "a finished message is not listed");

        Notification bounce = heard.stream().filter(n -> n.getType().equals(OutboxMBeans.BOUNCED)).findFirst().orElseThrow();
        CompositeData data = (CompositeData) bounce.getUserData();
        assertEquals("nobody@a.example", data.get("recipient"));
        assertEquals(550, data.get("replyCode"));

        Map<String, Integer> impacts = new TreeMap<>();
        for (MBeanOperationInfo operation : mbeans.getMBeanInfo(managerName).getOperations()) {
            impacts.put(operation.getName(), operation.getImpact());
        }
        for (MBeanOperationInfo operation : mbeans.getMBeanInfo(queueName).getOperations()) {
            impacts.put(operation.getName(), operation.getImpact());
        }
        assertEquals(MBeanOperationInfo.INFO, impacts.get("getMessage"));
        assertEquals(MBeanOperationInfo.INFO, impacts.get("findMessages"));
        assertEquals(MBeanOperationInfo.INFO, impacts.get("listMessages"));
        assertEquals(MBeanOperationInfo.ACTION, impacts.get("freeze"));
        assertEquals(MBeanOperationInfo.ACTION, impacts.get("deleteMessage"));

        beans.sweepRepaired(2, 7);
        Notification sweep = heard.stream().filter(n -> n.getType().equals(OutboxMBeans.SWEEP_REPAIRED)).findFirst().orElseThrow();
        assertEquals(2, ((CompositeData) sweep.getUserData()).get("repaired"));
        assertEquals(7L, ((CompositeData) sweep.getUserData()).get("stuckRecovered"));

        long deletedBefore = manager.getDeleted();
        assertEquals(1, manager.deleteMessage(greylisted, true));
        assertEquals(0, manager.getDeferred());
        assertEquals(deletedBefore + 1, manager.getDeleted());
        assertEquals(0, manager.getBounceNotices(), "this engine has no notice composer: the delete sends none");
    }

    @Test
    void aQueueBeanGoesAfterTenIdleMinutes() throws Exception {
        MailQueue queue = engine.start();
        beans = OutboxMBeans.start(mbeans, queue, EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), Runnable::run);
        engine.submit("once", "ann@a.example");
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.awaitIdle();
        ObjectName queueName = OutboxMBeans.queueName(EngineFixture.destination(server));
        beans.refresh();
        assertTrue(mbeans.isRegistered(queueName));

        engine.clock.advance(Duration.ofMinutes(9));
        beans.refresh();
        assertTrue(mbeans.isRegistered(queueName), "still there after nine idle minutes");
        engine.clock.advance(Duration.ofMinutes(2));
        beans.refresh();
        assertFalse(mbeans.isRegistered(queueName), "gone after more than ten");

        beans.close();
        assertFalse(mbeans.isRegistered(new ObjectName("outbox:type=QueueManager")));
    }
}
