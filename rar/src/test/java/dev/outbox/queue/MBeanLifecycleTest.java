package dev.outbox.queue;

import dev.outbox.management.OutboxMBeans;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the queue beans' life: close() waits for a refresh that is registering, so no bean
 * outlives the adapter; a bean gone after ten idle minutes does not come back while the queue
 * stays idle (a third review found both).
 */
class MBeanLifecycleTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();
    private final MBeanServer real = MBeanServerFactory.newMBeanServer();

    @Test
    void anIdleQueueBeanUnregisteredAfterTenMinutesComesBackAtTheNextRefresh() throws Exception {
        MailQueue queue = engine.start();
        OutboxMBeans beans = OutboxMBeans.start(real, queue, EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), Runnable::run);
        engine.submit("once", "ann@a.example");
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.awaitIdle();
        ObjectName queueName = OutboxMBeans.queueName(EngineFixture.destination(server));
        beans.refresh();
        engine.clock.advance(Duration.ofMinutes(11));
        beans.refresh();
        assertFalse(real.isRegistered(queueName), "gone after more than ten idle minutes");

        engine.clock.advance(Duration.ofSeconds(30)); // the next sweep's refresh; nothing happened to the queue
        beans.refresh();
        assertFalse(real.isRegistered(queueName), "an idle queue's bean is registered again by the very next refresh"
                + " (the engine never forgets the TransferQueue), so it blinks every ten minutes");
        beans.close();
    }

    @Test
    void aRefreshRacingCloseLeavesAQueueBeanRegisteredForever() throws Exception {
        CountDownLatch inRegister = new CountDownLatch(1);
        CountDownLatch closeDone = new CountDownLatch(1);
        MBeanServer slow = (MBeanServer) Proxy.newProxyInstance(MBeanServer.class.getClassLoader(), new Class<?>[] {MBeanServer.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("registerMBean") && args[1] instanceof ObjectName n && "Queue".equals(n.getKeyProperty("type"))) {
                        inRegister.countDown();
                        closeDone.await(1, TimeUnit.SECONDS); // a slow registration (a busy platform server); close() waits for it
                    }
                    try {
                        return method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        MailQueue queue = engine.start();
        OutboxMBeans beans = OutboxMBeans.start(slow, queue, EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)),
                task -> { }); // the engine's refresh hook does nothing here: the sweep's refresh below is the one that races
        engine.submit("once", "ann@a.example");
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.awaitIdle();

        Thread sweepRefresh = new Thread(beans::refresh, "sweep-refresh");
        sweepRefresh.start();
        assertTrue(inRegister.await(30, TimeUnit.SECONDS));
        beans.close(); // the adapter stops meanwhile
        closeDone.countDown();
        sweepRefresh.join(30_000);

        ObjectName queueName = OutboxMBeans.queueName(EngineFixture.destination(server));
        assertFalse(real.isRegistered(new ObjectName("outbox:type=QueueManager")), "the manager is gone");
        assertFalse(real.isRegistered(queueName), "a queue bean registered by a refresh that began before close() outlives"
                + " the adapter (bound to the dead engine; the next deployment cannot register its own)");
    }
}
