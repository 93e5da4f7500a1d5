package dev.outbox.queue;

import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a due message whose connection is reserved but waits for its thread (the work
 * manager's long-running pool queues the Work for a while: its threads are busy, or the machine
 * is) is not a stuck recipient: two seconds later OverdueRecipients is 0, the sweep repairs
 * nothing and counts nothing in StuckRecovered, and that one connection is the only one
 * reserved for it; once its thread starts it delivers the message once (a second review found
 * the invariant check counted the queue free, so the sweep "repaired" the message, counted it
 * in StuckRecovered and reserved a second connection for it that waited for a thread as well).
 */
class LateThreadStartTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture().hold(); // the executor accepts connections and starts them later
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aConnectionWaitingForItsThreadIsNotAStuckRecipient() {
        MailQueue queue = engine.start(EngineFixture.policy("1m", 4, 100, 32, Duration.ofMinutes(10)));
        engine.submit("due", "ann@a.example");
        engine.clock.advance(Duration.ofSeconds(2)); // the pool starts its thread two seconds later

        int overdue = queue.overdueRecipients();
        int repaired = queue.sweep();
        long recovered = queue.stuckRecovered();
        int connectionsReserved = queue.openConnections();
        engine.release();
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.awaitIdle();

        String reserved = "; connections reserved for one message: " + connectionsReserved;
        assertEquals(0, overdue + repaired + recovered, "a message whose connection was reserved and waits for its thread counted as"
                + " stuck: OverdueRecipients " + overdue + ", the sweep repaired " + repaired + ", StuckRecovered " + recovered + reserved);
        assertEquals(1, connectionsReserved, "one connection waits for its thread for the message" + reserved);
        assertEquals(Map.of("due", 1), EngineFixture.perSubject(server.received()), "delivered once");
        assertEquals(0, queue.stuckRecovered());
    }
}
