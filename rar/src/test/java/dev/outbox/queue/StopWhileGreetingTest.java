package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that stop() leaves no delivery thread behind while a connection still waits for the
 * server's greeting: the abort closes a socket still being opened (a review found abort()
 * closed only a connection Deliverer.connect had returned).
 */
class StopWhileGreetingTest {

    private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

    @AutoClose
    private final EngineFixture engine = new EngineFixture().smtp(EngineFixture.smtpSettings(READ_TIMEOUT, READ_TIMEOUT));
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void stopLeavesNoDeliveryThreadBehindWhenTheGreetingNeverComes() {
        server.script(Rules.on(Command.CONNECT).silence()); // accepts the TCP connection, never greets
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(2)));
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
