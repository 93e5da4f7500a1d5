package dev.outbox.queue;

import dev.outbox.store.ForwardingStore;
import dev.outbox.store.StoreEntry;
import dev.outbox.store.MemoryStore;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a connection records each message's delivery while the next message's first
 * commands are on their way, and never sends the next message's data before that record is
 * durable: the durable write overlaps a round trip, and a crash still leaves at most one
 * message a connection in doubt (DESIGN.md's invariant 4). The store is a real one whose
 * removal of a delivered message waits until the server has seen the next message's MAIL: with
 * the record made before the next message is started, it would wait in vain.
 */
class OutcomeRecordedWhileNextIsOnItsWayTest {

    private static final int MESSAGES = 5;
    private static final Duration OVERLAP_WAIT = Duration.ofSeconds(5);

    private final MemoryStore memory = new MemoryStore();
    /** What the store recorded and what the server received, in the order it happened. */
    private final List<String> events = Collections.synchronizedList(new ArrayList<>());
    private final List<String> ids = new CopyOnWriteArrayList<>();
    private final AtomicInteger overlapped = new AtomicInteger();
    @AutoClose
    private final EngineFixture engine = new EngineFixture(() -> new ForwardingStore(memory) {
        @Override
        public void remove(StoreEntry entry) {
            String id = entry.id();
            int message = ids.indexOf(id);
            if (message >= 0 && message < MESSAGES - 1 && nextMailSeen(message)) {
                overlapped.incrementAndGet();
            }
            super.remove(entry); // durable when it returns
            events.add("recorded " + message);
        }
    });
    private final ScriptedSmtpServer server = engine.server();

    @ParameterizedTest(name = "pipelining {0}")
    @ValueSource(booleans = {true, false})
    void eachDeliveryIsRecordedDuringTheNextMessagesFirstRoundTripAndBeforeItsData(boolean pipelining) {
        server.extensions(pipelining ? new String[]{"PIPELINING", "8BITMIME"} : new String[]{"8BITMIME"});
        server.script(exchange -> {
            if (exchange.command() == Command.END_OF_DATA) {
                events.add("data " + exchange.messagesCompleted());
            }
            return null; // answered as usual
        });
        engine.hold(); // all of them queued before the connection opens: one connection carries them in order
        engine.start();
        for (int i = 0; i < MESSAGES; i++) {
            ids.add(engine.submit("m" + i, "rcpt" + i + "@a.example"));
        }
        engine.release();

        List<Received> received = server.awaitReceived(MESSAGES, EngineFixture.WAIT);
        engine.await(() -> memory.messageCount() == 0 && events.size() == 2 * MESSAGES, "every delivery recorded");
        assertEquals(List.of("m0", "m1", "m2", "m3", "m4"), received.stream().map(r -> r.header("Subject").orElse("?")).toList());
        assertEquals(1, server.connectionsAccepted(), "one connection carried them all");
        assertEquals(MESSAGES - 1, overlapped.get(),
                "each record but the last was made while the next message's MAIL was at the server: " + events);
        for (int k = 1; k < MESSAGES; k++) {
            int recorded = events.indexOf("recorded " + (k - 1));
            int data = events.indexOf("data " + k);
            assertTrue(recorded >= 0 && recorded < data, "message " + (k - 1) + " was recorded before message " + k
                    + "'s data reached the server: " + events);
        }
    }

    /** Waits, bounded, for the server to see the MAIL of the message after {@code message}; false when it never came. */
    private boolean nextMailSeen(int message) {
        try {
            Await.until(OVERLAP_WAIT, () -> server.count(Command.MAIL) >= message + 2, "the next MAIL");
            return true;
        } catch (AssertionError e) {
            return false;
        }
    }
}
