package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that under a global cap of one connection, mail submitted for another destination while
 * an ending connection's dispatch of its own, now empty, queue is in progress goes out at once,
 * without the sweep: it is on its way (or delivered) as soon as that dispatch has returned, and
 * three seconds later nothing is overdue and the sweep repairs nothing (a second review found
 * dispatch took a global slot before asking the queue, so the empty dispatch held the last slot
 * while the other destination's submit found the cap full, and giving the slot back served no
 * queue: the mail stayed QUEUED until the sweep counted it in StuckRecovered).
 *
 * <p>The window is held open as the review did: a hook where the ending connection's
 * dispatch of its own queue reads the clock lets the test take that queue's monitor first, so
 * the dispatch blocks inside TransferQueue.openConnection while the other destination's mail is
 * submitted. With the fix the dispatch asks the queue before taking a slot, so in that window it
 * holds none; the test therefore does not require it to (as the review's did) and asserts the
 * outcome the finding was about.
 */
class EmptyDispatchStarvationTest {

    /** A hook run once, on the thread where MailQueue.dispatch, called from afterConnection, reads the clock. */
    private final AtomicReference<Runnable> atDispatchAfterConnection = new AtomicReference<>();

    @AutoClose
    private final EngineFixture engine = new EngineFixture().wrapClock(HookedClock::new);
    private final ScriptedSmtpServer p = engine.server("p.example");
    private final ScriptedSmtpServer q = engine.server("q.example");

    /** Reads the time from the fixture's clock; runs the hook when dispatch(queue) reads it on behalf of afterConnection. */
    private final class HookedClock extends Clock {
        private final Clock time;

        HookedClock(Clock time) {
            this.time = time;
        }

        @Override
        public long millis() {
            Runnable hook = atDispatchAfterConnection.get();
            if (hook != null && calledFromAfterConnectionDispatch() && atDispatchAfterConnection.compareAndSet(hook, null)) {
                hook.run();
            }
            return time.millis();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public ZoneId getZone() {
            return time.getZone();
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }
    }

    /** Whether the caller's first two engine frames are MailQueue.dispatch called from MailQueue.afterConnection. */
    private static boolean calledFromAfterConnectionDispatch() {
        List<String> engineFrames = StackWalker.getInstance().walk(frames -> frames
                .dropWhile(f -> !f.getClassName().equals(MailQueue.class.getName()))
                .limit(2).map(StackWalker.StackFrame::getMethodName).toList());
        return engineFrames.equals(List.of("dispatch", "afterConnection"));
    }

    @Test
    void aDispatchThatFindsNothingToSendDoesNotStrandAnotherDestinationsMail() throws Exception {
        // P's connection (the first the executor is given) counts down when its run, afterConnection included, has returned.
        CountDownLatch pConnectionDone = new CountDownLatch(1);
        AtomicInteger executions = new AtomicInteger();
        engine.wrapExecutor(real -> task -> real.execute(executions.incrementAndGet() != 1 ? task : () -> {
            try {
                task.run();
            } finally {
                pConnectionDone.countDown();
            }
        }));
        CountDownLatch atHook = new CountDownLatch(1);
        CountDownLatch monitorTaken = new CountDownLatch(1);
        AtomicReference<Thread> dispatcher = new AtomicReference<>();
        atDispatchAfterConnection.set(() -> { // on P's delivery thread, after its connection ended, as dispatch(P) begins
            dispatcher.set(Thread.currentThread());
            atHook.countDown();
            try {
                if (!monitorTaken.await(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("the test did not take P's monitor within a minute");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        MailQueue queue = engine.start(EngineFixture.policy("1m", 4, 100, 1, Duration.ofMinutes(10))); // global cap 1

        engine.submit("to p", "ann@p.example");
        if (!atHook.await(EngineFixture.WAIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("P's connection never ended: " + engine.describe());
        }
        TransferQueue pQueue = engine.transfer(p);
        String id;
        int slotsHeldByTheEmptyDispatch;
        synchronized (pQueue) {
            monitorTaken.countDown();
            // dispatch(P) waits for P's monitor inside openConnection (before the fix, holding the one slot)
            engine.await(() -> dispatcher.get().getState() == Thread.State.BLOCKED, "dispatch(P) waiting for P's monitor");
            slotsHeldByTheEmptyDispatch = queue.openConnections();
            id = engine.submit("to q", "bob@q.example");
        }
        // dispatch(P) finds nothing to open and returns; P's connection is over.
        if (!pConnectionDone.await(EngineFixture.WAIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError("P's connection did not return: " + engine.describe());
        }
        TransferQueue qQueue = engine.transfer(q);
        boolean onItsWay = qQueue.activeConnections() > 0 || engine.lastState(id, "bob@q.example") == RecipientState.DELIVERED;
        String then = engine.describe();
        if (onItsWay) {
            engine.await(() -> engine.lastState(id, "bob@q.example") == RecipientState.DELIVERED, "Q's mail delivered");
        }

        engine.clock.advance(Duration.ofSeconds(3));
        int overdue = queue.overdueRecipients();
        long recoveredBefore = queue.stuckRecovered();
        int repaired = queue.sweep();
        String failure = "bob@q.example, due with its queue empty and the global cap free once P's connection was over, had no"
                + " connection (" + q.connectionsAccepted() + " accepted by Q; the dispatch that found nothing held "
                + slotsHeldByTheEmptyDispatch + " of the 1 slots when it was submitted); 3 s later OverdueRecipients = " + overdue
                + ", and the sweep repaired " + repaired + " (StuckRecovered " + recoveredBefore + " -> " + queue.stuckRecovered()
                + "); transitions of " + id + ": " + engine.transitions().stream().filter(t -> t.messageId().equals(id))
                .map(Transition::to).toList() + "; when P's connection was over: " + then;
        assertTrue(onItsWay, failure);
        assertEquals(0, overdue, failure);
        assertEquals(0, repaired, failure);
        assertEquals(0, queue.stuckRecovered(), failure);
        assertEquals(1, q.received().size(), failure);
    }
}
