package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

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

    private final EngineRun engine = new EngineRun(READ_TIMEOUT);
    @AutoClose
    private final ScriptedSmtpServer silent = ScriptedSmtpServer.start();
    @AutoClose
    private final ScriptedSmtpServer healthy = ScriptedSmtpServer.start();

    @AfterEach
    void stop() {
        silent.close(); // ends the hanging EHLOs first, so stopping the queue does not wait for the read timeout
        engine.close();
    }

    @Test
    void silentDestinationDoesNotDelayAHealthyOne() {
        silent.script(Rules.on(Command.EHLO).silence());
        MailQueue queue = engine.start(EngineRun.policy("1m", 2, 4),
                EngineRun.byDomain(Map.of("silent.example", silent, "healthy.example", healthy)));

        for (int i = 0; i < 3; i++) {
            engine.submit("to silent " + i, "s" + i + "@silent.example");
        }
        silent.awaitOpenConnections(2, EngineRun.DEADLINE);
        engine.await(() -> silent.count(Command.EHLO) == 2, "both connections to the silent next hop wait for their EHLO reply");

        long start = System.nanoTime();
        for (int i = 0; i < 5; i++) {
            engine.submit("to healthy " + i, "h" + i + "@healthy.example");
        }
        healthy.awaitReceived(5, COUPLE_OF_SECONDS);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertTrue(millis < READ_TIMEOUT.toMillis(), "healthy mail took " + millis + " ms");
        assertEquals(2, silent.openConnections(), "the silent next hop's connections still hang");
        assertEquals(2, engine.queueOf(silent).activeConnections());
        assertEquals(0, silent.received().size());
        assertEquals(3, engine.store.messageCount(), "only the mail to the silent next hop is left");
        engine.await(() -> queue.deliveredCount() == 5, "the healthy mail counted delivered");
    }
}
