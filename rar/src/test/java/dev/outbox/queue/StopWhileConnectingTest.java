package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that stop() aborts a connection still being opened (a next hop silent after its
 * greeting) at the end of the grace period, instead of leaving it to its read timeout.
 */
class StopWhileConnectingTest {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    private static final long GRACE_MILLIS = 200;

    @AutoClose // closes the silent server first, which ends the hanging EHLO if stop() could not
    private final EngineFixture engine = new EngineFixture().smtp(EngineFixture.smtpSettings(READ_TIMEOUT, READ_TIMEOUT));
    private final ScriptedSmtpServer silent = engine.server();

    @Test
    void stopAbortsAConnectionWaitingForItsEhloReply() {
        silent.script(Rules.on(Command.EHLO).silence());
        MailQueue queue = engine.start();
        engine.submit("never answered", "ann@silent.example");
        engine.await(() -> silent.count(Command.EHLO) == 1, "the connection waits for its EHLO reply");

        long start = System.nanoTime();
        queue.stop(GRACE_MILLIS);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertEquals(0, queue.openConnections(), "a delivery thread still runs after stop() returned (" + millis + " ms)");
        assertTrue(millis < 2_000, "stop() took " + millis + " ms with a grace of " + GRACE_MILLIS + " ms");
        silent.awaitOpenConnections(0, Duration.ofSeconds(2));
        assertEquals(1, engine.store().messageCount(), "the message stays queued for the next start");
    }
}
