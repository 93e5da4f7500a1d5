package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a message the server answered 250 is not sent again when the executor call that
 * follows the 250 (a saturated work manager pool) blocks past the attempt's deadline while the
 * sweep runs (a review found the outcome was settled only after that call, so the sweep requeued it).
 */
class LateOutcomeTest {

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void anAcknowledgedMessageWhoseOutcomeIsLateIsNotSentAgain() throws Exception {
        server.script(Rules.on(Command.CONNECT).onConnection(1).close()); // RETRY first, so the next success dispatches
        server.script(Rules.on(Command.END_OF_DATA).onConnection(2).delayThenProceed(Duration.ofSeconds(1)));
        // Calls from the test's thread: the first two (submit, then the wake's connection) run, later ones are refused
        // (the pool is busy) until the delivery thread has made its call. The first call from a delivery thread - the agent's dispatch after its 250 - blocks for a while.
        AtomicInteger testThreadCalls = new AtomicInteger();
        AtomicBoolean blocked = new AtomicBoolean();
        Thread testThread = Thread.currentThread();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        engine.wrapExecutor(real -> task -> {
            if (Thread.currentThread() == testThread) {
                if (testThreadCalls.incrementAndGet() > 2 && !blocked.get()) {
                    throw new RejectedExecutionException("pool busy");
                }
            } else if (blocked.compareAndSet(false, true)) {
                inside.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            real.execute(task);
        });
        // One message a connection: "waiting" stays in the ready queue for the dispatch after the 250, instead of
        // being carried next by connection 2 (whose dispatch would then find nothing to start, and make no call;
        // SlowNextReadKeepsTheAnswerTest covers a late record on a connection that carries the next message).
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 1, 8, ATTEMPT_TIMEOUT));

        String id = engine.submit("accepted", "ann@a.example");
        engine.await(() -> engine.transfer().consecutiveFailures() == 1 && queue.openConnections() == 0, "RETRY after connection 1");
        engine.fire(); // connection 2 carries "accepted"; its 250 comes a second after the dot
        engine.await(() -> server.count(Command.END_OF_DATA) == 1, "the server has the data of \"accepted\"");
        engine.submit("waiting", "bob@a.example"); // its connection is refused: it waits in the ready queue

        server.awaitReceived(1, EngineFixture.WAIT);
        if (!inside.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the agent never dispatched after its success: " + engine.describe());
        }
        // The pool stays busy past the attempt's deadline; the sweep runs meanwhile.
        engine.clock.advance(ATTEMPT_TIMEOUT.plusSeconds(2));
        int repaired = queue.sweep();
        release.countDown();

        engine.settleRetries();

        assertEquals(Map.of("accepted", 1, "waiting", 1), EngineFixture.perSubject(server.received()),
                "acknowledged deliveries per message (sweep repaired " + repaired + ", stuck recovered " + queue.stuckRecovered()
                        + "); transitions of " + id + ": " + engine.transitions().stream().filter(t -> t.messageId().equals(id)).toList());
    }
}
