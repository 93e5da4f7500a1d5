package dev.outbox.queue;

import dev.outbox.api.OutboxException;
import dev.outbox.api.RecipientState;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that an executor throwing an Error instead of RejectedExecutionException ("OutOfMemoryError:
 * unable to create native thread") loses no connection slot and sends nothing twice (a review
 * found dispatch caught only RejectedExecutionException, after reserving the slots).
 */
class ExecutorErrorTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    /** Throws {@code error} on the calls whose numbers (1-based) are in {@code failing}; runs the rest. */
    private static Executor failing(Executor real, Error error, int... failing) {
        AtomicInteger calls = new AtomicInteger();
        return task -> {
            int call = calls.incrementAndGet();
            for (int n : failing) {
                if (n == call) {
                    throw error;
                }
            }
            real.execute(task);
        };
    }

    @Test
    void aQueueWhoseThreadCouldNotBeCreatedOnceDeliversAgainLater() {
        engine.wrapExecutor(real -> failing(real, new OutOfMemoryError("unable to create native thread: possibly out of memory"), 1));
        MailQueue queue = engine.start();

        // The submit is durable, then its dispatch meets the Error; should the Error escape submit, the message is queued all the same.
        try {
            queue.submit(EngineFixture.mail("first", "ann@a.example"));
        } catch (OutOfMemoryError | OutboxException escaped) {
            assertEquals(1, engine.store().messageCount(), "submit threw " + escaped + ", yet the message is stored");
        }

        // The thread shortage is over: later mail, wake-ups and sweeps should all get through.
        String later = engine.submit("later", "bob@a.example");
        for (int i = 0; i < 3; i++) {
            engine.clock.advance(Duration.ofSeconds(10));
            queue.sweep();
        }
        Await.until(Duration.ofSeconds(10), () -> server.received().size() == 2,
                () -> "neither message was delivered after the Error: " + server.received().size() + " received, open connections "
                        + queue.openConnections() + " (none is running: " + engine.threadsInSmtp() + "), overdue recipients "
                        + queue.overdueRecipients() + ", " + engine.describe());
    }

    /**
     * An Error from the executor when the agent dispatches right after the server's 250 (its
     * queue leaving RETRY) does not undo the 250: the message is not sent again at the next retry.
     */
    @Test
    void aMessageTheServerAcceptedIsNotSentAgainWhenTheExecutorFailsRightAfter() {
        // Connection 1 gets no greeting: the queue enters RETRY, so the first success afterwards leaves RETRY and dispatches.
        server.script(Rules.on(Command.CONNECT).onConnection(1).close());
        server.script(Rules.on(Command.END_OF_DATA).onConnection(2).delayThenProceed(Duration.ofSeconds(1)));
        // Calls from the test's thread: the first two (submit, then the wake's connection) run, later ones are refused
        // (the pool is busy). The first call from a delivery thread - the agent's dispatch after its 250 - throws.
        AtomicInteger testThreadCalls = new AtomicInteger();
        AtomicBoolean thrown = new AtomicBoolean();
        Thread testThread = Thread.currentThread();
        engine.wrapExecutor(real -> task -> {
            if (Thread.currentThread() == testThread) {
                if (testThreadCalls.incrementAndGet() > 2 && !thrown.get()) {
                    throw new RejectedExecutionException("pool busy");
                }
            } else if (thrown.compareAndSet(false, true)) {
                throw new OutOfMemoryError("unable to create native thread: possibly out of memory");
            }
            real.execute(task);
        });
        // One message a connection: "waiting" stays in the ready queue for the dispatch after the 250, instead of
        // being carried next by connection 2 (SlowNextReadKeepsTheAnswerTest covers that case).
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 1, 8, Duration.ofMinutes(10)));

        engine.submit("accepted", "ann@a.example"); // connection 1 gets no greeting
        engine.await(() -> engine.transfer().consecutiveFailures() == 1 && queue.openConnections() == 0, "RETRY after connection 1");
        engine.fire(); // connection 2 carries "accepted"; its 250 comes a second after the dot
        engine.await(() -> server.count(Command.END_OF_DATA) == 1, "the server has the data of \"accepted\"");
        engine.submit("waiting", "bob@a.example"); // its connection is refused: it waits in the ready queue

        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> thrown.get() && engine.count(RecipientState.IN_FLIGHT) == 0 && engine.threadsInSmtp().isEmpty(), "the attempt settled");

        // Let the retry clock run as the EJB timers would, for a few minutes of simulated time.
        for (int i = 0; i < 4 && engine.pendingWakeup() != null; i++) {
            engine.fire();
            engine.await(() -> engine.count(RecipientState.IN_FLIGHT) == 0 && engine.threadsInSmtp().isEmpty(), "settled");
        }
        engine.await(() -> server.received().size() >= 2, "both subjects arrived");

        assertEquals(Map.of("accepted", 1, "waiting", 1), EngineFixture.perSubject(server.received()),
                "acknowledged deliveries per message; transitions " + engine.transitions());
    }
}
