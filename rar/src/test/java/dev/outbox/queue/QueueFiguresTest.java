package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a queue's message count and size, which management reads without walking the
 * messages, follow every transition: a message counts in each queue where it has an unfinished
 * recipient, leaves a queue when its last recipient there finishes (delivered, bounced,
 * deleted), and counts again the same after a restart.
 */
class QueueFiguresTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer a = engine.server("a.example");
    private final ScriptedSmtpServer b = engine.server("b.example");

    @Test
    void figuresFollowEachRecipientAndSurviveARestart() {
        a.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("ann@")).reply("451 4.7.1 greylisted"));
        b.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("nobody@")).reply("550 5.1.1 no such user"));
        MailQueue queue = engine.start();

        String both = engine.submit("both", "ann@a.example", "bob@b.example", "nobody@b.example");
        String onlyA = engine.submit("only a", "al@a.example", "ann@a.example");
        engine.await(() -> queue.deferredCount() == 2 && queue.bouncedCount() == 1 && engine.idle(), "two deferred, one bounced");
        long bothSize = queue.findMessage(both).sizeBytes();
        long onlyASize = queue.findMessage(onlyA).sizeBytes();

        assertFigures(queue, a, 2, bothSize + onlyASize);
        assertFigures(queue, b, 0, 0); // bob delivered, nobody bounced: nothing unfinished there
        assertEquals(queue.findMessages(null, both, 0, 1).get(0).submitMillis(), queue.figures(EngineFixture.destination(a)).oldestSubmitMillis());
        assertEquals(0, queue.figures(EngineFixture.destination(b)).oldestSubmitMillis());

        engine.restart();
        MailQueue restarted = engine.queue();
        assertFigures(restarted, a, 2, bothSize + onlyASize);
        assertFigures(restarted, b, 0, 0);

        assertEquals(1, restarted.deleteMessage(both));
        assertFigures(restarted, a, 1, onlyASize);
        assertEquals(1, restarted.deleteMessage(onlyA));
        assertFigures(restarted, a, 0, 0);
        assertEquals(0, restarted.figures(EngineFixture.destination(a)).oldestSubmitMillis());
    }

    private static void assertFigures(MailQueue queue, ScriptedSmtpServer server, int messages, long bytes) {
        MailQueue.QueueFigures figures = queue.figures(EngineFixture.destination(server));
        assertEquals(messages, figures.messages(), "messages in " + server);
        assertEquals(bytes, figures.sizeBytes(), "bytes in " + server);
        assertEquals(messages, queue.findMessages(EngineFixture.destination(server), "", 0, 100).size(), "listed in " + server);
    }
}
