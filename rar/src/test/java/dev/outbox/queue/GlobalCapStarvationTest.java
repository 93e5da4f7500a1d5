package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that under the global connection cap a slow destination's backlog does not hold another
 * destination's due mail (DESIGN.md invariant 5): a slot that frees goes to the starved queue
 * first (a review found it went back to the same destination for its whole backlog).
 */
class GlobalCapStarvationTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer slow = engine.server("slow.example");
    private final ScriptedSmtpServer other = engine.server("other.example");

    @Test
    void aSlowDestinationsBacklogDoesNotHoldAnotherDestinationsMail() {
        slow.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofMillis(200)));
        // Global cap 1, one message per connection: the slot is handed over after every message.
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 1, 1, Duration.ofMinutes(10)));

        for (int i = 0; i < 8; i++) {
            engine.submit("slow " + i, "r" + i + "@slow.example");
        }
        String waiting = engine.submit("other", "x@other.example");
        engine.await(() -> queue.deliveredCount() >= 3 || engine.lastState(waiting, "x@other.example") == RecipientState.DELIVERED,
                "three deliveries");
        engine.clock.advance(Duration.ofSeconds(5)); // x@other.example has now been due for 5 s
        RecipientState stateThen = engine.lastState(waiting, "x@other.example");
        int overdueNow = queue.overdueRecipients();
        engine.await(() -> engine.lastState(waiting, "x@other.example") == RecipientState.DELIVERED, "the other destination's mail delivered");

        List<String> order = new ArrayList<>();
        engine.transitions().stream().filter(t -> t.to() == RecipientState.DELIVERED).forEach(t -> order.add(t.recipient()));
        int position = order.indexOf("x@other.example");
        assertTrue(position <= 2, "x@other.example, due since its submit and alone in its queue, was delivered only as number "
                + (position + 1) + " of " + order.size() + ", after the slow destination's backlog: " + order
                + " (5 s after its submit it was " + stateThen + " and OverdueRecipients said " + overdueNow + ")");
    }
}
