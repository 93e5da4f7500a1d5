package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a next hop's multi-line reply (Angus joins its lines with "\n") reaches log lines,
 * transitions and the queue's LastError without a line break, so it can forge no log line and
 * break no DSN header (a review found the engine passed the reply on unchanged).
 */
class RemoteReplyTextTest {

    private static final String FORGED = "SEVERE: forged by the next hop";

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    private final List<String> logged = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord record) {
            logged.add(String.valueOf(record.getMessage()));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final List<Logger> loggers = List.of(Logger.getLogger(RecipientLedger.class.getName()), Logger.getLogger(MailQueue.class.getName()));

    @AfterEach
    void detach() {
        loggers.forEach(logger -> logger.removeHandler(capture));
    }

    @Test
    void aMultiLineReplyForgesNoLogLineAndNoLineBreakReachesTransitionsOrLastError() {
        loggers.forEach(logger -> logger.addHandler(capture));
        server.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("ann")).reply("550-5.1.1 no such user\n550 5.1.1 " + FORGED));
        server.script(Rules.on(Command.MAIL).onConnection(2).reply("421-4.3.2 closing\n421 4.3.2 " + FORGED));
        MailQueue queue = engine.start();

        String bounced = engine.submit("bounced", "ann@a.example");
        engine.await(() -> engine.lastState(bounced, "ann@a.example") == RecipientState.BOUNCED && queue.openConnections() == 0, "bounced");
        String retried = engine.submit("retried", "bob@a.example");
        engine.await(() -> engine.lastState(retried, "bob@a.example") == RecipientState.DEFERRED && queue.openConnections() == 0, "RETRY");

        List<String> brokenLogLines = logged.stream().filter(m -> m.contains("\n") || m.contains("\r")).toList();
        List<String> brokenReplies = engine.transitions().stream().map(Transition::reply).filter(r -> r.contains("\n") || r.contains("\r")).toList();
        String lastError = engine.transfer().lastError();
        assertAll(
                () -> assertEquals(List.of(), brokenLogLines, "log records with a line break from the remote reply"),
                () -> assertEquals(List.of(), brokenReplies, "Transition replies with a line break"),
                () -> assertEquals(false, lastError.contains("\n"), "LastError: " + lastError.replace("\n", "\\n")));
    }
}
