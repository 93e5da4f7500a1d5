package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that when the global connection cap is full, the slots that come back go to every
 * starved destination in turn: served in the queue map's fixed order, the two destinations first
 * in it took every slot while a third waited for their whole backlogs (the bench's merge lane
 * found waits of 5 s against 1 s under load).
 */
class StarvedQueueTurnTest {

    private static final List<String> DOMAINS = List.of("a.example", "b.example", "c.example", "d.example");

    @AutoClose
    private final EngineFixture engine = new EngineFixture();

    @Test
    void everyStarvedDestinationHasATurnBeforeAnyHasTwo() {
        for (String domain : DOMAINS) {
            ScriptedSmtpServer server = engine.server(domain);
            server.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofMillis(50)));
        }
        // Global cap 1, one message per connection: the slot is handed over after every message.
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 1, 1, Duration.ofMinutes(10)));
        for (int i = 0; i < 6; i++) {
            for (String domain : DOMAINS) {
                engine.submit("m" + i, "r" + i + "@" + domain);
            }
        }
        engine.await(() -> queue.deliveredCount() == 6L * DOMAINS.size() && engine.idle(), "everything delivered");

        List<String> order = engine.transitions().stream().filter(t -> t.to() == RecipientState.DELIVERED)
                .map(t -> t.recipient().substring(t.recipient().indexOf('@') + 1)).toList();
        // After the first slot (whoever had it), any window of as many deliveries as destinations names them all.
        for (int start = 1; start + DOMAINS.size() <= order.size() - DOMAINS.size(); start++) {
            Set<String> window = order.subList(start, start + DOMAINS.size()).stream().collect(Collectors.toSet());
            assertEquals(DOMAINS.size(), window.size(), "deliveries " + start + " to " + (start + DOMAINS.size() - 1)
                    + " skipped a destination with mail waiting: " + order);
        }
    }
}
