package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review of "MailQueue.submit stores submitMillis = the id's time" (branch store-in-message). Ids
 * never go back: after the clock is stepped back (an NTP correction), QueueIds keeps issuing ids
 * at the last time it saw, for as long as the step. The message's submit time then is that time,
 * in the future by the step: findMessage, the console and the DSN's Arrival-Date show it, and
 * its delay notice comes the step late. Before, the submit time was the clock's.
 */
class SubmitTimeAfterClockStepReviewTest {

    @Test
    void aMessageSubmittedAfterTheClockSteppedBackIsNotSubmittedInTheFuture() {
        try (EngineFixture engine = new EngineFixture()) {
            ScriptedSmtpServer server = engine.server("a.example");
            server.script(Rules.on(Command.RCPT).reply("451 4.3.0 later"));
            MailQueue queue = engine.start();
            engine.submit("before the step", "ann@a.example");
            engine.await(() -> queue.deferredCount() == 1 && engine.idle(), "the first deferred");

            engine.clock.advance(Duration.ofHours(-1)); // the clock was an hour fast, and is set right
            long submitted = engine.clock.millis();
            String id = engine.submit("after the step", "bob@a.example");
            engine.await(() -> queue.deferredCount() == 2 && engine.idle(), "the second deferred");

            assertEquals(Instant.ofEpochMilli(submitted), Instant.ofEpochMilli(queue.findMessage(id).submitMillis()),
                    "the submit time of " + id + ", accepted at " + Instant.ofEpochMilli(submitted));
        }
    }
}
