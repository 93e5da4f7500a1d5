package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that stop lets a message in flight finish within the grace period and records its 250, and that one cut off by the grace (in transfer or still connecting) is aborted at once and kept for after the restart, never lost. */
class StopDuringTransferTest {

    @TempDir
    Path directory;

    @AutoClose
    private final EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20));

    @Test
    void stopWaitsForTheReplyToTheDotAndTheRestartSendsNothingAgain() throws Exception {
        engine.server().script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofMillis(1_500)));
        MailQueue queue = engine.start();
        engine.submit("in flight at stop", "s@example.org");
        awaitFinalDot();

        long stopMillis = engine.stop(10_000);

        assertEquals(1, queue.deliveredCount(), "stop waited for the 250 and recorded it (" + stopMillis + " ms)");
        assertEquals(1, engine.server().received().size());
        assertTrue(engine.server().received().get(0).acknowledged());
        assertTrue(stopMillis < 10_000, "stop took " + stopMillis + " ms");
        assertEquals(List.of(), engine.threadsInSmtp());

        MailQueue restarted = engine.restartOnFreshServer();

        assertEquals(0, engine.store().messageCount(), "the journal has the delivery: nothing to recover");
        assertTrue(restarted.queues().isEmpty());
        assertEquals(0, restarted.openConnections());
        assertEquals(0, engine.server().connectionsAccepted(), "nothing is sent again");
    }

    @Test
    void stopPastItsGraceAbortsTheTransferAndTheRestartDeliversIt() throws Exception {
        engine.server().script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofSeconds(5)));
        engine.start();
        engine.submit("cut off at stop", "c@example.org");
        awaitFinalDot();

        long stopMillis = engine.stop(200);

        assertTrue(stopMillis < 200 + MailQueue.ABORT_WAIT_MILLIS, "stop took " + stopMillis + " ms");
        assertTrue(stopMillis < 3_000, "the abort ended the transfer well before the server's reply at 5 s; stop took " + stopMillis + " ms");
        assertEquals(List.of(), engine.threadsInSmtp(), "no delivery thread is left in SMTP I/O when stop returns");
        Await.until(Duration.ofSeconds(2), () -> engine.busyDeliveryThreads() == 0, "a delivery thread is still running after stop");
        assertEquals(List.of(RecipientState.DEFERRED), recordedStates(), "the journal keeps the recipient, due again later");

        MailQueue restarted = engine.restartOnFreshServer(); // closing the old server drops its delayed 250
        engine.driveUntil(() -> engine.server().received().size() == 1, Duration.ofHours(1));

        assertEquals(1, restarted.deliveredCount());
        assertEquals(Map.of("c@example.org", 1), EngineFixture.perRecipient(engine.server().received()));
        assertEquals(0, engine.store().messageCount());
        assertEquals(0, restarted.stuckRecovered());
    }

    @Test
    void stopPastItsGraceAbortsAConnectionStillWaitingForItsGreeting() throws Exception {
        engine.server().script(Rules.on(Command.CONNECT).delayThenProceed(Duration.ofSeconds(20)));
        engine.smtp(EngineFixture.smtpSettings(Duration.ofSeconds(30), Duration.ofSeconds(5)));
        engine.start();
        engine.submit("connecting at stop", "g@example.org");
        Await.until(EngineFixture.WAIT, () -> engine.server().connectionsAccepted() == 1 && engine.count(RecipientState.IN_FLIGHT) == 1,
                () -> "the connection was not made: " + engine.describe());

        long stopMillis = engine.stop(200);

        assertEquals(List.of(), engine.threadsInSmtp(), "no delivery thread is left in SMTP I/O when stop returns (stop took " + stopMillis + " ms)");
        assertTrue(stopMillis < 3_000, "the abort closed the connecting socket at once; stop took " + stopMillis + " ms");

        MailQueue restarted = engine.restartOnFreshServer();
        engine.driveUntil(() -> engine.server().received().size() == 1, Duration.ofHours(1));
        assertEquals(Map.of("g@example.org", 1), EngineFixture.perRecipient(engine.server().received()));
        assertEquals(0, restarted.stuckRecovered());
    }

    /** Waits until the data and its final dot are at the server, whose reply is delayed. */
    private void awaitFinalDot() {
        Await.until(EngineFixture.WAIT, () -> engine.server().count(Command.END_OF_DATA) == 1,
                () -> "the final dot did not arrive: " + engine.describe());
        assertEquals(1, engine.count(RecipientState.IN_FLIGHT), "in flight when stop is called");
    }

    /** The recipient states the stopped engine left in the journal, read by opening it as the restart will. */
    private List<RecipientState> recordedStates() {
        List<RecipientState> states = new ArrayList<>();
        try (JournalStore journal = new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)) {
            journal.recover((message, length) -> message.statuses().forEach(status -> states.add(status.state())));
        }
        return states;
    }
}
