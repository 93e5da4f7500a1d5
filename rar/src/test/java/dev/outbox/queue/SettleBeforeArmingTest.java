package dev.outbox.queue;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a recipient acknowledged with 250 on a connection that then counts as broken (the
 * next hop answered 421 to another RCPT of the same message) is sent once: when the retry
 * clock's call that the broken connection makes next (a slow EJB timer service) blocks past the
 * attempt's deadline, while the sweep runs and a new connection opens, the acknowledged recipient
 * is already DELIVERED and nothing sends it again (a second review found enterRetry armed the
 * queue's timer before the attempt was settled, so the acknowledged recipient stayed IN_FLIGHT,
 * the sweep requeued it and the new connection sent it a second time).
 *
 * <p>The retry clock blocks the first wake-up a delivery thread asks for once the test arms it:
 * the broken connection's, whichever engine call asks it (the review hooked enterRetry, which no
 * longer asks; now its settle does, after the outcome is recorded). A deferred recipient whose
 * wake-up is late (dave@) makes sure that call reaches the retry clock.
 */
class SettleBeforeArmingTest {

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(30);

    private final AtomicBoolean blockNext = new AtomicBoolean();
    private final CountDownLatch blocked = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private volatile Thread testThread;

    @AutoClose
    private final EngineFixture engine = new EngineFixture().wrapWakeups(clock -> (destination, due) -> {
        if (Thread.currentThread() != testThread && blockNext.compareAndSet(true, false)) {
            blocked.countDown();
            try {
                if (!release.await(60, TimeUnit.SECONDS)) {
                    throw new AssertionError("the blocked wake-up was not released within a minute");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return clock.wakeAt(destination, due);
    });
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void aRecipientAcknowledgedOnAConnectionThatThenCountsAsBrokenIsNotSentAgain() throws Exception {
        testThread = Thread.currentThread();
        server.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("dave@")).times(1).reply("450 4.2.1 mailbox busy"));
        server.script(Rules.on(Command.RCPT).when(e -> e.argument().contains("bob@")).times(1).reply("421 4.4.5 too busy, closing soon"));
        MailQueue queue = engine.start(EngineFixture.policy("1s", 3, 100, 8, ATTEMPT_TIMEOUT));
        Thread sweeper = new Thread(queue::sweep, "sweeper");
        sweeper.setDaemon(true);
        try {
            // dave@ is deferred for a second by a 450 (its wake-up is asked for), and the wake-up is late: the clock moves past it.
            engine.submit("for dave", "dave@a.example");
            engine.await(() -> queue.deferredCount() == 1 && queue.openConnections() == 0, "dave deferred");
            engine.clock.advance(Duration.ofSeconds(2));

            // ann@ gets 250 RCPT, bob@ 421 RCPT, the data 250: the message is acknowledged for ann@, the connection counts as broken.
            blockNext.set(true);
            String id = engine.submit("for ann and bob", "ann@a.example", "bob@a.example");
            if (!blocked.await(EngineFixture.WAIT.toSeconds(), TimeUnit.SECONDS)) {
                throw new AssertionError("the broken connection never asked for a wake-up: " + engine.describe());
            }
            engine.await(() -> server.received().size() == 1, "the message acknowledged for ann@");

            // Past the attempt's deadline: the sweep repairs what it finds, then waits for the queue's armLock, which the
            // blocked connection holds (so it runs on a thread of its own).
            engine.clock.advance(ATTEMPT_TIMEOUT.plusSeconds(2));
            sweeper.start();
            engine.await(() -> sweeper.getState() == Thread.State.BLOCKED, "the sweep done repairing, waiting for the queue's armLock");
            long recovered = queue.stuckRecovered();

            // Any dispatch meanwhile (here: another submit) opens a connection, which carries what the sweep requeued.
            engine.submit("another", "carol@a.example");
            // (the new connection itself then waits for armLock in its own settle, held by the blocked connection)
            engine.await(() -> server.received().size() >= 2, "the new connection's first message");
            release.countDown();
            sweeper.join(EngineFixture.WAIT.toMillis());
            engine.await(() -> queue.openConnections() == 0, "all connections ended");

            long annCopies = server.received().stream().filter(Received::acknowledged)
                    .filter(r -> r.recipients().contains("ann@a.example")).count();
            assertEquals(1, annCopies, "ann@a.example got the message " + annCopies + " times although the first copy was acknowledged"
                    + " with 250 (the sweep recovered " + recovered + " recipients while the retry clock blocked); transitions of " + id
                    + ": " + engine.transitions().stream().filter(t -> t.messageId().equals(id))
                    .map(t -> t.recipient() + " " + t.from() + "->" + t.to() + " " + t.reply()).toList());
        } finally {
            release.countDown();
        }
    }
}
