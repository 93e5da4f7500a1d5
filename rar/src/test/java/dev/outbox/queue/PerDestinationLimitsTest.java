package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that the per-destination limits take their overrides: a destination given one
 * connection never has a second open while another, on the default, opens three; and a
 * destination given two messages per connection gets a new connection every second message.
 */
class PerDestinationLimitsTest {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose // closes the silent servers before it stops the queue, which so does not wait for the read timeout
    private final EngineFixture engine = new EngineFixture().smtp(EngineFixture.smtpSettings(READ_TIMEOUT, READ_TIMEOUT));
    private final ScriptedSmtpServer narrow = engine.server("narrow.example");
    private final ScriptedSmtpServer wide = engine.server("wide.example");
    private final ScriptedSmtpServer short_ = engine.server("short.example");

    @Test
    void overridesLimitConnectionsAndMessagesPerConnectionForTheirDestinationOnly() {
        narrow.script(Rules.on(Command.EHLO).silence());
        wide.script(Rules.on(Command.EHLO).silence());
        String narrowName = EngineFixture.destination(narrow);
        String shortName = EngineFixture.destination(short_);
        PerDestination connections = new PerDestination(3, Map.of(narrowName, 1, shortName, 1));
        PerDestination messages = new PerDestination(100, Map.of(shortName, 2));
        engine.hold();
        MailQueue queue = engine.start(new QueuePolicy(RetrySchedule.parse("1m").withJitter(n -> 0), Duration.ofDays(2),
                connections, messages, 16, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));
        for (int i = 0; i < 5; i++) {
            engine.submit("narrow " + i, "n" + i + "@narrow.example");
            engine.submit("wide " + i, "w" + i + "@wide.example");
            engine.submit("short " + i, "s" + i + "@short.example");
        }
        engine.release();

        wide.awaitOpenConnections(3, EngineFixture.WAIT);
        narrow.awaitOpenConnections(1, EngineFixture.WAIT);
        short_.awaitReceived(5, EngineFixture.WAIT);
        engine.await(() -> queue.deliveredCount() == 5, "short.example's five delivered");

        assertEquals(1, narrow.openConnections(), "narrow.example: one connection at most");
        assertEquals(1, engine.transfer(narrow).activeConnections());
        assertEquals(3, engine.transfer(wide).activeConnections(), "wide.example: the default three");
        assertEquals(3, short_.count(Command.CONNECT), "short.example: two messages a connection, so three connections for five");
    }
}
