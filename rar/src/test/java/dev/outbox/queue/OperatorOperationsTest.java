package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the operator's transitions on a message (freeze, unfreeze, delete, retry now): each is
 * persisted (a frozen message stays frozen across a restart), a frozen recipient is neither
 * attempted nor counted overdue, and an operation that meets a recipient in flight is kept as an
 * intent and applied when the attempt ends, so a delivered recipient stays delivered.
 */
class OperatorOperationsTest {

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aFrozenMessageIsNotSentAndStaysFrozenAcrossARestartUntilUnfrozen() {
        server.script(Rules.on(Command.RCPT).onConnection(1).reply("451 4.3.0 try later"));
        MailQueue queue = engine.start();
        String id = engine.submit("held", "ann@a.example");
        engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.DEFERRED && engine.idle(), "deferred");

        assertEquals(1, queue.freezeMessage(id));
        engine.fire(); // its retry time comes: nothing goes out
        engine.awaitIdle();
        assertEquals(1, server.count(Command.MAIL), "no attempt after the freeze");
        engine.queue().sweep();
        assertEquals(0, engine.queue().overdueRecipients());
        assertEquals(0, engine.queue().stuckRecovered());

        MailQueue restarted = engine.restart();
        engine.awaitIdle();
        assertEquals(Map.of(RecipientState.FROZEN, 1), engine.states(), "still frozen after the restart");
        assertEquals(1, server.count(Command.MAIL), "nothing sent at the restart");

        assertEquals(1, restarted.unfreezeMessage(id));
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> restarted.messageCount() == 0 && engine.idle(), "delivered and gone from the store");
    }

    @Test
    void aFreezeThatMeetsAnAttemptInFlightFreezesItOnlyIfItWasNotDelivered() {
        server.script(Rules.on(Command.END_OF_DATA).onConnection(1).delayThenReply(Duration.ofMillis(800), "451 4.3.0 later"));
        server.script(Rules.on(Command.END_OF_DATA).onConnection(2).delayThenProceed(Duration.ofMillis(800)));
        MailQueue queue = engine.start();

        String deferred = engine.submit("first", "ann@a.example");
        engine.await(() -> server.count(Command.END_OF_DATA) == 1, "the first message's data sent");
        assertEquals(1, queue.freezeMessage(deferred), "marked while in flight");
        engine.await(() -> engine.lastState(deferred, "ann@a.example") == RecipientState.FROZEN && engine.idle(),
                "undelivered, so frozen when the attempt ended");

        String delivered = engine.submit("second", "bob@b.example");
        engine.await(() -> server.count(Command.END_OF_DATA) == 2, "the second message's data sent");
        assertEquals(1, queue.freezeMessage(delivered));
        engine.await(() -> engine.lastState(delivered, "bob@b.example") == RecipientState.DELIVERED && engine.idle(),
                "delivered stays delivered");
        assertEquals(1, queue.messageCount(), "only the frozen one is left");
    }

    @Test
    void deleteRemovesWhatWaitsAndLeavesADeliveryInFlightDelivered() {
        server.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("ann@")).reply("451 4.3.0 try later"));
        MailQueue queue = engine.start();
        String waiting = engine.submit("waiting", "ann@a.example", "cat@a.example");
        engine.await(() -> engine.lastState(waiting, "ann@a.example") == RecipientState.DEFERRED && engine.idle(), "ann deferred");

        assertEquals(1, queue.deleteMessage(waiting), "ann, the one recipient not finished");
        assertEquals(0, queue.messageCount(), "finished: delivered to cat, deleted for ann");
        assertEquals(1, queue.deletedCount());
        engine.fire();
        engine.awaitIdle();
        assertEquals(Map.of("cat@a.example", 1), EngineFixture.perRecipient(server.received()), "nothing more to ann");

        server.script(Rules.on(Command.END_OF_DATA).delayThenProceed(Duration.ofMillis(800)));
        String inFlight = engine.submit("in flight", "dan@a.example");
        engine.await(() -> server.count(Command.END_OF_DATA) == 2, "its data sent");
        assertEquals(1, queue.deleteMessage(inFlight));
        engine.await(() -> engine.lastState(inFlight, "dan@a.example") == RecipientState.DELIVERED && engine.idle(),
                "the server took it, so it stays delivered");
    }

    @Test
    void retryNowMakesADeferredMessageDueAtOnce() {
        server.script(Rules.on(Command.RCPT).onConnection(1).reply("451 4.3.0 try later"));
        MailQueue queue = engine.start();
        String id = engine.submit("soon", "ann@a.example");
        engine.await(() -> engine.lastState(id, "ann@a.example") == RecipientState.DEFERRED && engine.idle(), "deferred for a minute");

        assertEquals(1, queue.retryMessage(id));

        server.awaitReceived(1, EngineFixture.WAIT);
        engine.await(() -> queue.messageCount() == 0 && engine.idle(), "delivered before its retry time");
        assertTrue(engine.clock.instant().isBefore(EngineFixture.START.plus(Duration.ofMinutes(1))));
    }

    @Test
    void anUnknownIdIsRefusedWithItsName() {
        MailQueue queue = engine.start();

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> queue.freezeMessage("01NOSUCHMESSAGE\r\nX"));

        assertEquals("no queued message has id \"01NOSUCHMESSAGE X\" (it may have been delivered, bounced, expired or deleted already)",
                e.getMessage());
    }
}
