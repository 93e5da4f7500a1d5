package dev.outbox.queue;

import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that recipients of one message failing at once on different connections are each
 * reported exactly once, the delivered one never, and the original leaves the store.
 */
class ConcurrentFailuresNoticeOnceTest {

    @TempDir
    Path directory;

    @RepeatedTest(5)
    void recipientsFailingAtOnceOnFourConnectionsAreEachReportedOnce() {
        try (EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))
                .notices(Duration.ZERO)) {
            List<String> failing = List.of("ann@a.example", "bob@b.example", "cy@c.example", "dee@d.example");
            for (String address : failing) {
                engine.server(address.substring(address.indexOf('@') + 1))
                        .script(Rules.on(Command.RCPT).delayThenReply(Duration.ofMillis(200), "550 5.1.1 no"));
            }
            engine.server("e.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            engine.start();
            List<String> all = new ArrayList<>(failing);
            all.add("eve@e.example");
            String id = engine.submit("fan out", all.toArray(String[]::new));
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            Map<String, Integer> reported = new TreeMap<>();
            for (Received notice : senders.received()) {
                for (String address : all) {
                    if (notice.text().contains("Final-Recipient: rfc822; " + address)) {
                        reported.merge(address, 1, Integer::sum);
                    }
                }
            }
            Map<String, Integer> once = new TreeMap<>();
            failing.forEach(a -> once.put(a, 1));
            assertEquals(once, reported, () -> "notices about " + id + ": " + senders.received());
        }
    }
}
