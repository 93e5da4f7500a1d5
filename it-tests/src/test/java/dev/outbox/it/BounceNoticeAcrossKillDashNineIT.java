package dev.outbox.it;

import dev.outbox.management.MessageSummary;
import dev.outbox.management.QueueManagerMXBean;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Exchange;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a bounce is made once and delivered across kill -9: a recipient refused with 550
 * gets its sender exactly one delivery status notification, whether the server is killed while
 * that notice waits, stored, for the relay's reply to its final dot, or at a random moment right
 * after the refusal (before the bounce is recorded, before or after the notice is stored, or
 * while it is sent). A notice may reach the relay twice only when the kill cut off the 250 of
 * the first copy; both copies are then one stored notice (one Message-ID), never a second one
 * composed. The refused recipient is not tried again once its bounce is recorded.
 */
class BounceNoticeAcrossKillDashNineIT extends CrashServerTestBase {

    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /**
     * The latest kill after the refusal, in the random test. On a 2-core machine the bounce's
     * final dot reaches the relay 30 to 60 ms after the refusal, so this spreads the kills over
     * every step: before the bounce is recorded, before it is stored, before its mark is cleared,
     * and while it is sent.
     */
    private static final int LATEST_KILL_MILLIS = 60;

    private final ServerLog log = ServerLog.of(jbossHome);

    @Test
    void aBounceStoredButUnacknowledgedAtKillDashNineIsDeliveredOnceAfterTheRestart() throws Exception {
        Original original = new Original("held");
        HeldNotices hold = new HeldNotices();
        ScriptedSmtpServer relay = relay(hold, original);
        startWithEmptyStore();
        try {
            String id = original.submit(submitterUrl());

            // The original goes to the kept recipient; the bounce for the other is stored, let out, and
            // sent up to its final dot, where the relay keeps it waiting.
            Await.until(DEADLINE, () -> hold.held().size() == 1, () -> "the bounce held at its final dot; " + relay.transcript());
            try (RemoteJmx jmx = RemoteJmx.connect()) {
                QueueManagerMXBean manager = jmx.queueManager();
                MessageSummary[] live = manager.findMessages(id, 0, 10);
                assertEquals(List.of(id + "-n0"), ids(live), "the original is finished; its bounce is queued under its id and index");
                assertEquals("", live[0].getSender(), "the null reverse path");
                assertTrue(live[0].getStates().contains("IN_FLIGHT"), live[0].getStates());
                assertEquals(1, manager.getBounceNotices(), "BounceNotices before the kill");
            }
            assertEquals(1, acknowledgedOriginals(relay, original).size(), "the original, to the kept recipient: " + relay.received());

            killDashNine();
            hold.serverLost(relay.connectionsAccepted());
            controller.start(CONTAINER);

            // The restarted server sends the stored bounce again, without making it anew.
            Await.until(DEADLINE, () -> hold.held().size() == 2, () -> "the bounce sent again after the restart; held on " + hold.held());
            try (RemoteJmx jmx = RemoteJmx.connect()) {
                QueueManagerMXBean manager = jmx.queueManager();
                assertEquals(0, manager.getBounceNotices(), "BounceNotices of the restarted server: the stored bounce was not made again");
                hold.release();
                awaitOneNotice(relay, original);
                Await.until(DEADLINE, () -> manager.findMessages(id, 0, 10).length == 0,
                        () -> "nothing left of " + id + "; live: " + ids(manager.findMessages(id, 0, 10)));
            }

            // Released at once, the two held copies are stored in either order.
            List<ReceivedNotice> copies = ReceivedNotice.about(relay.received(), original.messageId);
            assertEquals(2, copies.size(), "the copy cut off by the kill, and the one after: " + copies);
            ReceivedNotice cutOff = copies.stream().filter(c -> !c.received().acknowledged()).findFirst().orElseThrow();
            ReceivedNotice delivered = copies.stream().filter(c -> c.received().acknowledged()).findFirst().orElseThrow();
            assertEquals(hold.held(), List.of(cutOff.received().connection(), delivered.received().connection()),
                    "the killed server's copy unacknowledged, the restarted server's acknowledged");
            assertEquals(cutOff.messageId(), delivered.messageId(), "both copies are the one stored bounce");
            assertEquals(List.of(original.sender), delivered.received().recipients());
            Map<String, String> group = delivered.onlyRecipientGroup();
            assertEquals("rfc822; " + original.refused, group.get("Final-Recipient"));
            assertEquals("5.1.1", group.get("Status"));
            assertEquals("smtp; " + original.reply(), group.get("Diagnostic-Code"));
            assertEquals(1, original.refusals(relay), "the refused recipient, tried once: its bounce was recorded before the kill");
            assertEquals(1, acknowledgedOriginals(relay, original).size(), "the original, not sent again: " + relay.received());
            assertEquals(1, log.linesWith("Outbox queued bounce " + id + "-n0 ").size(), "bounce " + id + "-n0 made once");
        } finally {
            hold.release();
            relay.close();
            stop();
        }
    }

    /**
     * kill -9 at a random moment between the refusal and just past the bounce's final dot, which the
     * relay holds so that a copy sent before the kill is never acknowledged. Each round (three by
     * default, about 9 s each; {@code -Dit.bounce-kill.rounds=N} for more, {@code -Dit.bounce-kill.seed}
     * to repeat a run) prints where the kill fell.
     */
    @Test
    void killDashNineAtARandomMomentAfterTheRefusalStillMakesExactlyOneBounce() throws Exception {
        long seed = Long.getLong("it.bounce-kill.seed", System.nanoTime());
        int rounds = Integer.getInteger("it.bounce-kill.rounds", 3);
        Random random = new Random(seed);
        startWithEmptyStore();
        try {
            for (int round = 1; round <= rounds; round++) {
                int delayMillis = random.nextInt(LATEST_KILL_MILLIS + 1);
                String where = killRound("r" + round, delayMillis);
                System.out.printf("bounce kill round %d of %d (seed %d): kill %d ms after the refusal: %s%n",
                        round, rounds, seed, delayMillis, where);
            }
        } finally {
            stop();
        }
    }

    /** One round on a running server: submit, kill {@code delayMillis} after the refusal, restart, check. Returns where the kill fell. */
    private String killRound(String label, int delayMillis) throws Exception {
        Original original = new Original(label);
        HeldNotices hold = new HeldNotices();
        ScriptedSmtpServer relay = relay(hold, original);
        // The next exchange on the connection that had the 550 (the refusal itself goes to an earlier rule): Outbox has read it.
        CountDownLatch refusalRead = new CountDownLatch(1);
        relay.script(exchange -> {
            if (exchange.connection() == original.refusedOn.get()) {
                refusalRead.countDown();
            }
            return null;
        });
        try {
            ProcessHandle server = ServerProcess.find(jbossHome);
            String id = original.submit(submitterUrl());
            assertTrue(refusalRead.await(DEADLINE.toSeconds(), TimeUnit.SECONDS), "the refusal read; " + relay.transcript());
            pause(Duration.ofMillis(delayMillis));
            killDashNine(server);
            hold.serverLost(relay.connectionsAccepted());
            int queuedBeforeKill = log.linesWith("Outbox queued bounce " + id + "-n0 ").size();
            boolean heldBeforeKill = !hold.held().isEmpty();

            controller.start(CONTAINER);
            hold.release();
            long madeAfterRestart;
            try (RemoteJmx jmx = RemoteJmx.connect()) {
                QueueManagerMXBean manager = jmx.queueManager();
                awaitOneNotice(relay, original);
                Await.until(DEADLINE, () -> manager.findMessages(id, 0, 10).length == 0,
                        () -> "nothing left of " + id + "; live: " + ids(manager.findMessages(id, 0, 10)));
                madeAfterRestart = manager.getBounceNotices();
            }
            Await.until(DEADLINE, () -> !acknowledgedOriginals(relay, original).isEmpty(),
                    () -> "the original, to the kept recipient; " + relay.received());

            List<ReceivedNotice> copies = ReceivedNotice.about(relay.received(), original.messageId);
            List<String> made = log.linesWith("Outbox queued bounce " + id + "-n0 ");
            boolean reconciled = !log.linesWith("Outbox found the notices [" + id + "-n0] about message " + id).isEmpty();
            String where = "refused " + original.refusals(relay) + " time(s), bounce logged as made " + queuedBeforeKill
                    + " time(s) before the kill and "
                    + (made.size() - queuedBeforeKill) + " after, " + (reconciled ? "found stored at recovery, " : "")
                    + (heldBeforeKill ? "a copy held at its final dot at the kill, " : "") + copies.size() + " copies";
            assertEquals(1, copies.stream().filter(c -> c.received().acknowledged()).count(), "one bounce acknowledged: " + where + copies);
            assertEquals(1, copies.stream().map(ReceivedNotice::messageId).distinct().count(),
                    "every copy is the one stored bounce: " + where + copies);
            assertTrue(made.size() <= 1, "bounce " + id + "-n0 made at most once: " + where + made);
            assertTrue(made.size() == 1 || reconciled, "made, or found made at recovery: " + where);
            assertEquals(made.size() - queuedBeforeKill, madeAfterRestart, "BounceNotices of the restarted server: " + where);
            assertTrue(copies.size() == 1 || heldBeforeKill, "a second copy only when the kill cut off the first: " + where);
            long refusals = original.refusals(relay);
            assertTrue(refusals == 1 || refusals == 2 && queuedBeforeKill == 0 && !heldBeforeKill && !reconciled,
                    "the refused recipient tried again only when its bounce was not recorded before the kill: " + where);
            assertTrue(relay.received().stream().noneMatch(r -> r.recipients().contains(original.refused)), "the refused recipient never took mail");
            return where;
        } finally {
            hold.release();
            relay.close();
        }
    }

    /** A message to two recipients, one of which the relay refuses with 550 5.1.1, from a sender of its own. */
    private static final class Original {
        final String sender;
        final String refused;
        final String kept;
        final String messageId;
        final String subject;
        /** The connection that had the first refusal, once there was one. */
        final AtomicInteger refusedOn = new AtomicInteger();

        Original(String label) {
            String mark = label + Long.toString(System.nanoTime(), 36);
            sender = "sender-" + mark + "@example.com";
            refused = "nobody-" + mark + "@q.example";
            kept = "kept-" + mark + "@q.example";
            messageId = "<bounce-" + mark + "@it.outbox>";
            subject = "Bounce across kill -9 " + mark;
        }

        /** True for the RCPT of the refused recipient, whose connection it notes. */
        boolean refuses(Exchange exchange) {
            boolean refuse = exchange.command() == Command.RCPT && exchange.argument().contains(refused);
            if (refuse) {
                refusedOn.compareAndSet(0, exchange.connection());
            }
            return refuse;
        }

        String reply() {
            return "550 5.1.1 <" + refused + ">: Recipient address rejected: User unknown";
        }

        /** Submits it, the refused recipient first; returns its queue id. */
        String submit(URL submitter) throws Exception {
            String content = "From: " + sender + "\r\nTo: " + refused + ", " + kept + "\r\nSubject: " + subject + "\r\nMessage-ID: " + messageId
                    + "\r\n\r\n" + subject + "\r\n";
            Http.Answer answer = Http.submitRaw(submitter, sender, content, refused, kept);
            assertEquals(200, answer.status(), answer.body());
            return answer.body().substring("id=".length()).strip();
        }

        /** How many times the relay was asked to take the refused recipient. */
        long refusals(ScriptedSmtpServer relay) {
            return relay.transcript().stream().filter(line -> line.endsWith("C: RCPT TO:<" + refused + ">")).count();
        }
    }

    private static ScriptedSmtpServer relay(HeldNotices hold, Original original) {
        ScriptedSmtpServer relay = ScriptedSmtpServer.start("127.0.0.1", TestSmtp.setup().getPort());
        relay.script(hold);
        relay.script(Rules.on(Command.RCPT).when(original::refuses).reply(original.reply()));
        return relay;
    }

    private static void awaitOneNotice(ScriptedSmtpServer relay, Original original) {
        Await.until(DEADLINE, () -> ReceivedNotice.about(relay.received(), original.messageId).stream().anyMatch(c -> c.received().acknowledged()),
                () -> "the bounce about " + original.messageId + " acknowledged; received " + relay.received());
    }

    /** The copies of the original the relay acknowledged. */
    private static List<Received> acknowledgedOriginals(ScriptedSmtpServer relay, Original original) {
        return relay.received().stream()
                .filter(r -> r.acknowledged() && r.header("Message-ID").map(original.messageId::equals).orElse(false))
                .toList();
    }

    private static List<String> ids(MessageSummary[] summaries) {
        return Arrays.stream(summaries).map(MessageSummary::getId).toList();
    }

    /**
     * Lets {@code delay} pass: the kill's moment, drawn at random, not a wait for something to
     * happen (there is nothing to wait for: the point is to land anywhere in the window).
     */
    private static void pause(Duration delay) {
        long end = System.nanoTime() + delay.toNanos();
        for (long left = delay.toNanos(); left > 0; left = end - System.nanoTime()) {
            LockSupport.parkNanos(left);
        }
    }
}
