package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that every way a peer can hold a connection (not reading the data, not answering QUIT, answering too slowly) is cut by a bound of the engine's, not left to the read timeout. */
class WriteTimeoutTest {

    private static final int FOUR_MIB = 4 << 20;

    @AutoClose
    private final EngineFixture engine = new EngineFixture();

    @Test
    void aPeerThatStopsReadingTheDataIsCutByTheWriteTimeout() throws Exception {
        engine.server().script(Rules.on(Command.DATA).stopReading()); // 354, then it never reads again
        engine.smtp(EngineFixture.smtpSettings(Duration.ofSeconds(30), Duration.ofSeconds(1)));
        engine.start();

        long tookMillis = millisUntilDeferred(1, () -> engine.submitWithBody("four MiB", body(FOUR_MIB), "big@example.org"));

        assertTrue(tookMillis < 10_000, "the attempt ended after " + tookMillis + " ms; the read timeout is 30 s");
        TransferQueue transfer = engine.transfer();
        assertEquals(QueueState.RETRY, transfer.state(engine.clock.millis()), engine.describe());
        assertEquals(1, transfer.consecutiveFailures());
        assertFalse(transfer.lastError().isEmpty(), "RETRY names its reason");
        assertEquals(Map.of(RecipientState.DEFERRED, 1), engine.states(), "deferred, not in flight");
        assertEquals(0, engine.server().received().size());

        long stopMillis = engine.stop(5_000);
        assertTrue(stopMillis < 2_000, "stop took " + stopMillis + " ms");
        assertEquals(List.of(), engine.threadsInSmtp(), "no delivery thread is left in SMTP I/O");
        Await.until(Duration.ofSeconds(2), () -> engine.busyDeliveryThreads() == 0, "a delivery thread is still running after stop");
    }

    @Test
    void aPeerSilentOnQuitDoesNotHoldTheConnection() throws Exception {
        engine.server().script(Rules.on(Command.QUIT).silence());
        engine.smtp(EngineFixture.smtpSettings(Duration.ofSeconds(30), Duration.ofSeconds(5)));
        MailQueue queue = engine.start();

        engine.submit("quit", "q@example.org");
        engine.server().awaitReceived(1, EngineFixture.WAIT);
        long delivered = System.nanoTime();
        Await.until(Duration.ofSeconds(5), () -> queue.openConnections() == 0,
                () -> "the connection stayed open after QUIT: " + engine.describe());
        long closedAfterMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - delivered);

        assertTrue(closedAfterMillis < 5_000, "closed " + closedAfterMillis + " ms after the delivery; the read timeout is 30 s");
        engine.server().awaitOpenConnections(0, Duration.ofSeconds(5)); // the socket itself was closed, not only the slot freed
        assertEquals(1, engine.server().count(Command.QUIT), "QUIT was said");
        assertEquals(1, queue.deliveredCount());
        assertEquals(0, engine.store().messageCount());
    }

    @Test
    void anAttemptIsCutAtItsDeadline() throws Exception {
        engine.server().script(Rules.on(Command.RCPT).delayThenProceed(Duration.ofMillis(700))); // 20 RCPTs take 14 s
        engine.smtp(EngineFixture.smtpSettings(Duration.ofSeconds(5), Duration.ofSeconds(5)));
        engine.policy(EngineFixture.policy("1m", 1, 100, QueuePolicy.DEFAULT_MAX_CONNECTIONS, Duration.ofSeconds(2)));
        MailQueue queue = engine.start();

        long tookMillis = millisUntilDeferred(20, () -> engine.submit("slow", EngineFixture.recipients(20)));

        assertTrue(tookMillis >= 1_500 && tookMillis < 5_000, "the attempt ended after " + tookMillis + " ms; its deadline is 2 s");
        assertTrue(engine.server().count(Command.RCPT) < 20, "cut before the last RCPT: " + engine.server().count(Command.RCPT));
        TransferQueue transfer = engine.transfer();
        assertEquals(QueueState.RETRY, transfer.state(engine.clock.millis()), "the connection counts as broken: " + engine.describe());
        assertEquals(1, transfer.consecutiveFailures());
        assertEquals(Map.of(RecipientState.DEFERRED, 20), engine.states());
        assertEquals(0, engine.server().received().size());
        assertEquals(0, queue.stuckRecovered());
    }

    /** A submit that returns its queue id. */
    private interface Submit {
        String run() throws Exception;
    }

    /** Runs {@code submit}, waits until {@code recipients} are deferred and no connection is open, and returns how long that took. */
    private long millisUntilDeferred(int recipients, Submit submit) throws Exception {
        long began = System.nanoTime();
        submit.run();
        Await.until(EngineFixture.WAIT, () -> engine.count(RecipientState.DEFERRED) == recipients && engine.queue().openConnections() == 0,
                () -> "the attempt did not end: " + engine.describe());
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);
    }

    /** {@code bytes} of 7-bit text in lines of 1,000 bytes with CRLF. */
    private static String body(int bytes) {
        String line = "x".repeat(998) + "\r\n";
        return line.repeat(bytes / line.length());
    }
}
