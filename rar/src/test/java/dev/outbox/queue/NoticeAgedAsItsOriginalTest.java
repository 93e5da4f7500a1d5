package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a notice is shown and measured with its own submit time: a bounce made now for a
 * message that expired after two days is a minute old, not two days. Before, QueuedMessage took
 * the submit time from the queue id, and a notice's id starts with its original's, so the
 * notice's queue reported its oldest message two days old (QueueFigures, the oldest-age meter,
 * findMessages), the moment the bounce was made.
 */
class NoticeAgedAsItsOriginalTest {

    @Test
    void aBounceMadeNowIsNotTwoDaysOld() {
        try (EngineFixture engine = new EngineFixture().notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("451 4.3.0 later"));
            senders.script(Rules.on(Command.RCPT).reply("451 4.3.0 later too"));
            MailQueue queue = engine.start();
            engine.submit("old", "ann@a.example");
            engine.await(() -> queue.deferredCount() == 1 && engine.idle(), "deferred");

            engine.clock.advance(Duration.ofDays(2).plusMinutes(1));
            queue.sweep();
            engine.await(() -> queue.bounceNoticeCount() == 1 && senders.count(Command.RCPT) == 1 && engine.idle(), "the bounce tried");
            long made = engine.clock.millis();
            String notices = EngineFixture.destination(senders);
            assertEquals(Instant.ofEpochMilli(made), Instant.ofEpochMilli(queue.figures(notices).oldestSubmitMillis()),
                    "the oldest message of the notices' queue");
            assertEquals(Instant.ofEpochMilli(made), Instant.ofEpochMilli(queue.findMessages(notices, "", 0, 10).get(0).submitMillis()),
                    "the bounce as an operator sees it");
        }
    }
}
