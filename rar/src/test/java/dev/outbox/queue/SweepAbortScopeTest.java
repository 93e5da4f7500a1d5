package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The sweep closes the connection of an attempt past its deadline with
 * agent.abortIfCarrying(message), which matches the message only. A message with recipients at
 * two destinations is carried by one agent per destination: an attempt overdue at a.example
 * also aborts the healthy, in-deadline attempt at b.example, which then ends as a broken
 * connection: b.example enters RETRY (DESIGN.md invariant 5: a failing destination never delays
 * another), its recipient is deferred a minute, and the data b.example already had is sent again.
 */
class SweepAbortScopeTest {

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose
    private final ReviewEngine engine = new ReviewEngine();
    @AutoClose
    private final ScriptedSmtpServer a = ScriptedSmtpServer.start();
    @AutoClose
    private final ScriptedSmtpServer b = ScriptedSmtpServer.start();

    @Test
    void anOverdueAttemptAtOneDestinationDoesNotAbortTheSameMessagesAttemptAtAnother() {
        a.script(Rules.on(Command.END_OF_DATA).silence()); // wedged: only the deadline ends it
        b.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofSeconds(3))); // healthy, a little slow
        // b.example's connection starts 20 s (test clock) after a.example's: hold it in the executor until then.
        AtomicInteger calls = new AtomicInteger();
        List<Runnable> held = new ArrayList<>();
        engine.wrapExecutor(real -> task -> {
            if (calls.incrementAndGet() == 2) {
                synchronized (held) {
                    held.add(task);
                }
            } else {
                real.execute(task);
            }
        });
        MailQueue queue = engine.start(ReviewEngine.policy("1m", 1, 100, 8, ATTEMPT_TIMEOUT),
                ReviewEngine.byDomain(Map.of("a.example", a, "b.example", b)));
        String id = engine.submit("both", "ann@a.example", "bob@b.example"); // a.example's agent is call 1, b.example's call 2
        engine.await(() -> a.count(Command.END_OF_DATA) == 1, "a.example has the data and says nothing");

        engine.clock.advance(Duration.ofSeconds(20));
        synchronized (held) {
            held.forEach(task -> new Thread(task, "review-held").start());
        }
        engine.await(() -> b.count(Command.END_OF_DATA) == 1, "b.example has the data and answers in 3 s");

        // a.example's attempt (deadline +30 s) is overdue; b.example's (deadline +50 s) is not.
        engine.clock.advance(Duration.ofSeconds(12));
        queue.sweep();
        engine.await(() -> engine.lastState(id, "bob@b.example") != RecipientState.IN_FLIGHT
                && engine.lastState(id, "bob@b.example") != RecipientState.QUEUED, "b.example's attempt ended");

        TransferQueue atB = engine.queueOf(b);
        try {
            dev.outbox.testing.Await.until(Duration.ofSeconds(6), () -> !b.received().isEmpty(), "b.example stored nothing");
        } catch (AssertionError e) {
            // it may not have stored it: the duplicate is then not certain, the RETRY is
        }
        engine.await(() -> atB.activeConnections() == 0, "b.example's connection closed after its message");
        String atServer = "b.example's server holds " + b.received();
        assertAll(
                () -> assertEquals(RecipientState.DELIVERED, engine.lastState(id, "bob@b.example"), "b.example's recipient; " + atServer),
                () -> assertEquals(0, atB.consecutiveFailures(), "b.example's failures: " + atB.lastError()),
                () -> assertEquals(QueueState.EMPTY, atB.state(engine.clock.millis()), "b.example's queue"));
    }
}
