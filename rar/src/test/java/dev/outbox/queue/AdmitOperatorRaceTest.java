package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.management.OutboxMBeans;
import dev.outbox.store.ForwardingStore;
import dev.outbox.store.MemoryStore;
import dev.outbox.store.MessageStore;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that an operator's operation on a message that is being admitted leaves the queue's
 * figures right. {@code RecipientLedger.admit} links a new message into the live list (where
 * findMessages, deleteMessage and deleteAll find it) before it takes the message's lock and
 * counts it; an operator's delete in that gap releases a count that was never held. The
 * queue's MessageCount and SizeBytes go negative for good, Queued goes to -1, and a later
 * message frozen by the operator then counts 0, so the queue's bean is retired while that mail
 * waits in it.
 *
 * <p>The gap is made wide, not timed: the submitting thread is held in the one store call it
 * makes inside it (the content length), on a real {@link MemoryStore} behind a pass-through.
 */
class AdmitOperatorRaceTest {

    private final PausingStore store = new PausingStore(new MemoryStore());
    @AutoClose
    private final EngineFixture engine = new EngineFixture(() -> store);
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aDeleteWhileAMessageIsAdmittedLeavesTheQueueCountsRightAndItsBeanRegistered() throws Exception {
        MailQueue queue = engine.start();
        MBeanServer mbeans = MBeanServerFactory.newMBeanServer();
        OutboxMBeans beans = OutboxMBeans.start(mbeans, queue, EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)),
                Runnable::run);
        engine.hold(); // no connection runs until the counts are checked: mail stays where it is

        Thread submitter = new Thread(() -> engine.submit("raced", "ann@a.example"), "submitter");
        store.pauseContentLengthOn(submitter);
        submitter.start();
        assertTrue(store.paused.await(30, TimeUnit.SECONDS), "the submit reached admit");

        // The operator deletes whatever live message the console shows now (a deleteAll of the queue does the same).
        List<MessageSnapshot> live = queue.findMessages(null, "", 0, 10);
        int deleted = live.isEmpty() ? 0 : queue.deleteMessage(live.get(0).id());
        store.resume.countDown();
        submitter.join(30_000);

        String destination = EngineFixture.destination(server);
        MailQueue.QueueFigures figures = queue.figures(destination);
        int listed = queue.findMessages(destination, "", 0, 100).size();
        assertEquals(listed, figures.messages(), "the queue's MessageCount (" + figures.messages() + ") against the messages it lists ("
                + listed + "), after an operator's delete of " + deleted + " recipient(s) during admit");
        assertTrue(figures.sizeBytes() >= 0, "SizeBytes " + figures.sizeBytes());
        Map<RecipientState, Integer> walked = engine.states();
        for (RecipientState state : List.of(RecipientState.QUEUED, RecipientState.IN_FLIGHT, RecipientState.FROZEN)) {
            assertEquals((long) walked.getOrDefault(state, 0), queue.recipientsIn(state), state + " counted against the live recipients "
                    + walked);
        }

        // What the drift costs: mail the operator holds in this queue next, and the queue's bean retired while it waits.
        engine.release();
        engine.awaitIdle();
        engine.hold();
        String held = engine.submit("held", "bob@a.example");
        queue.freezeMessage(held);
        engine.release();
        engine.awaitIdle();
        ObjectName queueName = OutboxMBeans.queueName(destination);
        beans.refresh();
        engine.clock.advance(Duration.ofMinutes(11));
        beans.refresh();
        assertEquals(1, queue.findMessages(destination, "", 0, 100).size(), "the frozen message waits in " + destination);
        assertTrue(mbeans.isRegistered(queueName), queueName + " was retired as empty and idle while a frozen message waits in it"
                + " (its MessageCount reads " + queue.figures(destination).messages() + ")");
        beans.close();
    }

    /** A real store behind a pass-through that holds one thread in its next contentLength call until told to go on. */
    private static final class PausingStore extends ForwardingStore {
        final CountDownLatch paused = new CountDownLatch(1);
        final CountDownLatch resume = new CountDownLatch(1);
        private volatile Thread pausing;

        PausingStore(MessageStore real) {
            super(real);
        }

        void pauseContentLengthOn(Thread thread) {
            pausing = thread;
        }

        @Override
        public int contentLength(String id) {
            if (Thread.currentThread() == pausing) {
                pausing = null;
                paused.countDown();
                try {
                    resume.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.contentLength(id);
        }
    }
}
