package dev.outbox.queue;

import dev.outbox.delivery.SmtpSettings;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * DeliveryAgent.abort() closes only a connection that Deliverer.connect has returned: while
 * SmtpSession.open is still connecting or greeting, the agent's 'connection' is null and the
 * socket (kept by a RecordingSocketFactory nobody outside the session can reach) stays open.
 * stop() then waits ABORT_WAIT_MILLIS in vain and returns with the delivery thread still in
 * Angus, up to the read timeout later, and closes the store under it.
 */
class StopWhileGreetingTest {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();
    @AutoClose
    private final ReviewEngine engine = new ReviewEngine(new SmtpSettings("outbox.review", Duration.ofSeconds(5), READ_TIMEOUT, READ_TIMEOUT));

    @Test
    void stopLeavesNoDeliveryThreadBehindWhenTheGreetingNeverComes() {
        server.script(Rules.on(Command.CONNECT).silence()); // accepts the TCP connection, never greets
        MailQueue queue = engine.start(ReviewEngine.policy("1m", 1, 100, 8, Duration.ofMinutes(2)), ReviewEngine.to(server));
        engine.submit("greeting never comes", "ann@a.example");
        engine.await(() -> server.openConnections() == 1 && !engine.threadsInSmtp().isEmpty(), "connecting");

        long began = System.nanoTime();
        queue.stop(200);
        long tookMillis = (System.nanoTime() - began) / 1_000_000;
        List<String> stillRunning = engine.threadsInSmtp();

        assertEquals(List.of(), stillRunning, "delivery threads still in SMTP after stop() returned (it took " + tookMillis
                + " ms; open connections " + queue.openConnections() + ", server sockets open " + server.openConnections() + ")");
    }
}
