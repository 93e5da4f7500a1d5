package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Reply text is input from a remote server. Angus joins a multi-line reply with "\n", and the
 * engine passes it unchanged into log lines ("bounced for ...", "entered RETRY ..."), the
 * Transition told to management and DSN listeners, and the queue's LastError. A next hop can so
 * forge log lines (the project escapes CR/LF elsewhere for this very reason: NextHop.printable,
 * MailboxSyntax.printable) and put raw line breaks where a DSN's Diagnostic-Code header field
 * will be built from the reply.
 */
class RemoteReplyTextTest {

    private static final String FORGED = "SEVERE: forged by the next hop";

    @AutoClose
    private final ReviewEngine engine = new ReviewEngine();
    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

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
        MailQueue queue = engine.start(ReviewEngine.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), ReviewEngine.to(server));

        String bounced = engine.submit("bounced", "ann@a.example");
        engine.await(() -> engine.lastState(bounced, "ann@a.example") == RecipientState.BOUNCED && queue.openConnections() == 0, "bounced");
        String retried = engine.submit("retried", "bob@a.example");
        engine.await(() -> engine.lastState(retried, "bob@a.example") == RecipientState.DEFERRED && queue.openConnections() == 0, "RETRY");

        List<String> brokenLogLines = logged.stream().filter(m -> m.contains("\n") || m.contains("\r")).toList();
        List<String> brokenReplies = engine.transitions.stream().map(Transition::reply).filter(r -> r.contains("\n") || r.contains("\r")).toList();
        String lastError = engine.queueOf(server).lastError();
        assertAll(
                () -> assertEquals(List.of(), brokenLogLines, "log records with a line break from the remote reply"),
                () -> assertEquals(List.of(), brokenReplies, "Transition replies with a line break"),
                () -> assertEquals(false, lastError.contains("\n"), "LastError: " + lastError.replace("\n", "\\n")));
    }
}
