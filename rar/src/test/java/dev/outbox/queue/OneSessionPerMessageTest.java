package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that a queue allowed four connections opens one only for mail that no open connection will take: one message, one SMTP session. */
class OneSessionPerMessageTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture()
            .policy(EngineFixture.policy("1m", 4, 100, QueuePolicy.DEFAULT_MAX_CONNECTIONS, Duration.ofSeconds(30)));

    @Test
    void oneMessageOpensOneConnection() throws Exception {
        MailQueue queue = engine.start();

        engine.submit("alone", "a@example.org");
        engine.server().awaitReceived(1, EngineFixture.WAIT);
        engine.awaitIdle();

        assertEquals(1, engine.server().connectionsAccepted());
        assertEquals(1, engine.server().count(Command.EHLO));
        assertEquals(1, queue.deliveredCount());
    }

    @Test
    void threeMessagesAtOnceOpenAtMostThreeConnections() throws Exception {
        MailQueue queue = engine.start();

        for (String subject : List.of("one", "two", "three")) {
            engine.submit(subject, subject + "@example.org");
        }
        engine.server().awaitReceived(3, EngineFixture.WAIT);
        engine.awaitIdle();

        int connections = engine.server().connectionsAccepted();
        assertTrue(connections >= 1 && connections <= 3, connections + " connections for three messages");
        assertEquals(connections, engine.server().count(Command.EHLO));
        EngineFixture.assertEachOnce(List.of("one", "three", "two"), EngineFixture.perSubject(engine.server().received()));
        assertEquals(3, queue.deliveredCount());
    }
}
