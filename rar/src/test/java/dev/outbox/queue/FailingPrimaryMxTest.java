package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.dns.TestDns;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a domain's backup MX host gets its mail while the primary accepts connections and
 * then fails every transaction with 421 ("service not available, closing transmission channel",
 * as a server under maintenance or misconfigured says after EHLO). The primary greets, so the
 * connection counts as made; the 421 at MAIL breaks it and the queue enters RETRY; at each
 * retry the route starts from the primary again, so the backup, which works, is never tried and
 * the mail expires. RFC 5321 section 5.1: a client that fails with one address SHOULD try the
 * others; Postfix tries the next MX host after a session that breaks or says 421 (up to
 * smtp_mx_session_limit, 2, per delivery).
 */
class FailingPrimaryMxTest {

    private static final int RETRIES = 5;

    @AutoClose
    private final TestDns dns = TestDns.start();
    @AutoClose
    private final ScriptedSmtpServer primary = ScriptedSmtpServer.start("127.0.0.2", 0);
    @AutoClose
    private final ScriptedSmtpServer backup = ScriptedSmtpServer.start("127.0.0.3", primary.port());
    @AutoClose
    private final EngineFixture engine = new EngineFixture().routeByMx(dns, primary.port());

    @Test
    void theBackupMxGetsTheMailWhileThePrimaryFailsEveryTransaction() {
        dns.mx("split.example", 10, "mx1.split.example").a("mx1.split.example", "127.0.0.2")
                .mx("split.example", 20, "mx2.split.example").a("mx2.split.example", "127.0.0.3");
        primary.script(Rules.on(Command.MAIL).reply("421 4.3.2 Service not available, closing transmission channel"));
        MailQueue queue = engine.start(EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)));

        String id = engine.submit("through the backup", "a@split.example");
        engine.await(() -> engine.idle() && queue.queue("split.example").consecutiveFailures() >= 1, "the first attempt failed");
        for (int retry = 0; retry < RETRIES && queue.deliveredCount() == 0; retry++) {
            engine.fire("split.example");
            engine.awaitIdle();
        }

        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "a@split.example"), () -> RETRIES + " retries, each to the primary only ("
                + primary.count(Command.MAIL) + " transactions refused there), none to the backup (" + backup.connectionsAccepted()
                + " connections): " + queue.queue("split.example").lastError());
        assertEquals(1, backup.received().size());
    }
}
