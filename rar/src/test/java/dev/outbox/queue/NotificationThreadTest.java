package dev.outbox.queue;

import dev.outbox.management.OutboxMBeans;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.NotificationFilter;
import javax.management.ObjectName;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that notification filters never run on the delivery thread that holds the message's lock:
 * the whole send goes to the notifier executor (a third review found filters run on that thread).
 */
class NotificationThreadTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();
    @AutoClose("shutdownNow")
    private final ExecutorService notifier = Executors.newSingleThreadExecutor();

    @Test
    void listenerFiltersRunOnTheDeliveryThreadUnderTheMessageLock() throws Exception {
        server.script(Rules.on(Command.RCPT).reply("550 5.1.1 no such user"));
        MBeanServer mbeans = MBeanServerFactory.newMBeanServer();
        MailQueue queue = engine.start();
        OutboxMBeans beans = OutboxMBeans.start(mbeans, queue, EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), notifier);
        List<String> filterThreads = new CopyOnWriteArrayList<>();
        NotificationFilter filter = notification -> {
            filterThreads.add(Thread.currentThread().getName());
            return true;
        };
        mbeans.addNotificationListener(new ObjectName("outbox:type=QueueManager"), (n, h) -> { }, filter, null);

        engine.submit("refused", "nobody@a.example");
        engine.await(() -> queue.bouncedCount() == 1 && engine.idle(), "bounced");
        beans.close();

        assertEquals(List.of(), filterThreads.stream().filter(name -> name.startsWith("outbox-test-delivery-")).toList(),
                "filters evaluated on the delivery thread that holds the message's lock");
    }
}
