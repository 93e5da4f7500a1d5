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
 * Proves DESIGN.md's invariant 5: while a silent next hop holds its connections for the whole
 * read timeout, mail to a healthy one is delivered within a couple of seconds.
 */
class DestinationIsolationTest {

    /** Far longer than the healthy delivery may take, and than "a couple of seconds". */
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration COUPLE_OF_SECONDS = Duration.ofSeconds(4);

    @AutoClose // closes the silent server before it stops the queue, which so does not wait for the read timeout
    private final EngineFixture engine = new EngineFixture().smtp(EngineFixture.smtpSettings(READ_TIMEOUT, READ_TIMEOUT));
    private final ScriptedSmtpServer silent = engine.server("silent.example");
    private final ScriptedSmtpServer healthy = engine.server("healthy.example");

    @Test
    void silentDestinationDoesNotDelayAHealthyOne() {
        silent.script(Rules.on(Command.EHLO).silence());
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 100, 4, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));

        for (int i = 0; i < 3; i++) {
            engine.submit("to silent " + i, "s" + i + "@silent.example");
        }
        silent.awaitOpenConnections(2, EngineFixture.WAIT);
        engine.await(() -> silent.count(Command.EHLO) == 2, "both connections to the silent next hop wait for their EHLO reply");

        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            engine.submit("to healthy " + i, "h" + i + "@healthy.example");
        }
        healthy.awaitReceived(5, COUPLE_OF_SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(millis < READ_TIMEOUT.toMillis(), "healthy mail took " + millis + " ms");
        assertEquals(2, silent.openConnections(), "the silent next hop's connections still hang");
        assertEquals(2, engine.transfer(silent).activeConnections());
        assertEquals(0, silent.received().size());
        // The server has the fifth message a moment before the engine records it and lets it go.
        engine.await(() -> queue.deliveredCount() == 5, "the healthy mail counted delivered");
        engine.await(() -> engine.store().messageCount() == 3, () -> "only the mail to the silent next hop is left; the store has "
                + engine.store().messageCount());
    }
}
