package dev.outbox.it;

import dev.outbox.management.MessageDetail;
import dev.outbox.management.QueueManagerMXBean;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the delay notice inside WildFly, across kill -9: with {@code outbox.delay-notice-after=1m}
 * (the least allowed, set with jboss-cli before Outbox is deployed, as an operator would), a
 * message whose recipient is still deferred a minute after it was submitted gets its sender one
 * delay notice (Action: delayed, the last 4xx reply, Will-Retry-Until its expiry), counted in
 * DelayNotices, while the recipient is still retried; although the server was killed with kill -9
 * in between, so that the restarted server had to find the message's submit time in its store
 * and watch it again. It adds about 75 seconds to the build: a minute is the setting's least.
 */
class DelayNoticeAcrossKillDashNineIT extends CrashServerTestBase {

    private static final Duration DELAY_NOTICE_AFTER = Duration.ofMinutes(1);
    /** The EJB timer's sweep period (RetryClock: every tenth second): a delay notice goes out at the first sweep after it is due. */
    private static final Duration SWEEP = Duration.ofSeconds(10);
    private static final Duration DEADLINE = Duration.ofSeconds(60);
    /** The test server's max-message-age (the default): a deferred recipient is retried until this long after submit. */
    private static final Duration MAX_MESSAGE_AGE = Duration.ofDays(2);

    @Test
    void aMessageStillDeferredAMinuteAfterSubmitGetsOneDelayNoticeThoughTheServerWasKilledMeanwhile() throws Exception {
        OwnServer server = new OwnServer(jbossHome.resolve("standalone")); // the default base directory: only its CLI is used
        String mark = "d" + Long.toString(System.nanoTime(), 36);
        String sender = "sender-" + mark + "@example.com";
        String later = "later-" + mark + "@q.example";
        String reply = "451 4.7.1 <" + later + ">: Greylisted, try again later";
        String messageId = "<delayed-" + mark + "@it.outbox>";
        String subject = "Still on its way " + mark;
        ScriptedSmtpServer relay = ScriptedSmtpServer.start("127.0.0.1", TestSmtp.setup().getPort());
        relay.script(Rules.on(Command.RCPT).when(exchange -> exchange.argument().contains(later)).reply(reply));

        // As startWithEmptyStore(), with the setting made before Outbox is deployed.
        ServerProcess.deleteStore(jbossHome);
        controller.start(CONTAINER);
        boolean propertySet = false;
        try {
            server.runCli("--command=/system-property=outbox.delay-notice-after:add(value=1m)", null, null);
            propertySet = true;
            deployer.deploy("outbox");
            deployer.deploy("submitter");
            Instant submitted = Instant.now();
            String content = "From: " + sender + "\r\nTo: " + later + "\r\nSubject: " + subject + "\r\nMessage-ID: " + messageId + "\r\n\r\n"
                    + subject + "\r\n";
            Http.Answer answer = Http.submitRaw(submitterUrl(), sender, content, later);
            assertEquals(200, answer.status(), answer.body());
            String id = answer.body().substring("id=".length()).strip();
            try (RemoteJmx jmx = RemoteJmx.connect()) {
                awaitDeferred(jmx.queueManager(), id);
            }

            killDashNine();
            controller.start(CONTAINER);

            try (RemoteJmx jmx = RemoteJmx.connect()) {
                QueueManagerMXBean manager = jmx.queueManager();
                Await.until(DELAY_NOTICE_AFTER.plus(SWEEP).plus(DEADLINE), () -> !ReceivedNotice.about(relay.received(), messageId).isEmpty(),
                        () -> "a delay notice about " + messageId + "; received " + relay.received());
                Instant arrived = Instant.now();
                ReceivedNotice notice = ReceivedNotice.about(relay.received(), messageId).get(0);

                assertFalse(arrived.isBefore(submitted.plus(DELAY_NOTICE_AFTER)), "not before a minute after submit: " + submitted + ", " + arrived);
                assertTrue(notice.received().acknowledged());
                assertEquals("<>", notice.received().mailFrom().split(" ")[0], "MAIL FROM of the notice");
                assertEquals(List.of(sender), notice.received().recipients(), "RCPT TO of the notice");
                assertEquals("Delayed Mail (still being retried)", notice.message().getSubject());
                assertEquals("auto-replied", notice.header("Auto-Submitted"));
                assertEquals("delivery-status", notice.contentType().getParameter("report-type"));
                Map<String, String> group = new LinkedHashMap<>(notice.onlyRecipientGroup());
                Instant lastAttempt = ReceivedNotice.date(group.remove("Last-Attempt-Date"));
                assertFalse(lastAttempt.isBefore(submitted.truncatedTo(ChronoUnit.SECONDS)) || lastAttempt.isAfter(arrived),
                        "Last-Attempt-Date " + lastAttempt);
                Instant retryUntil = ReceivedNotice.date(group.remove("Will-Retry-Until"));
                assertFalse(retryUntil.isBefore(submitted.plus(MAX_MESSAGE_AGE).truncatedTo(ChronoUnit.SECONDS))
                        || retryUntil.isAfter(arrived.plus(MAX_MESSAGE_AGE)), "Will-Retry-Until " + retryUntil + ": submit + " + MAX_MESSAGE_AGE);
                assertEquals(Map.of("Final-Recipient", "rfc822; " + later, "Action", "delayed", "Status", "4.7.1", "Remote-MTA", "dns; [127.0.0.1]",
                        "Diagnostic-Code", "smtp; " + reply), group, "the other fields of the delayed recipient");
                assertTrue(notice.explanation().contains("still being retried"), notice.explanation());
                assertEquals(subject, notice.returnedHeader("Subject"));
                assertEquals(1, manager.getDelayNotices(), "DelayNotices of the restarted server, which made it");
                assertEquals(1, ServerLog.of(jbossHome).linesWith("Outbox queued delay notice " + id + "-d ").size(), "the delay notice made once");

                // The notice changes nothing for the message: it is still retried.
                int attemptsAtNotice = manager.getMessage(id).getRecipients()[0].getAttempts();
                Await.until(DEADLINE, () -> manager.getMessage(id).getRecipients()[0].getAttempts() > attemptsAtNotice,
                        () -> "tried again after " + attemptsAtNotice + " attempts; is " + manager.getMessage(id).getRecipients()[0].getAttempts());
                assertTrue(relay.received().stream().noneMatch(r -> r.recipients().contains(later)), "the deferred message went out");
            }
        } finally {
            relay.close();
            try {
                if (propertySet) {
                    server.runCli("--command=/system-property=outbox.delay-notice-after:remove", null, null);
                }
            } finally {
                stop(); // and its still deferred message with the store, so it never reaches a later build's servers
            }
        }
    }

    /** Waits until the recipient of message {@code id} has been tried and deferred; returns the message then. */
    private static MessageDetail awaitDeferred(QueueManagerMXBean manager, String id) {
        AtomicReference<MessageDetail> seen = new AtomicReference<>();
        Await.until(DEADLINE, () -> {
            seen.set(manager.getMessage(id));
            return "DEFERRED".equals(seen.get().getRecipients()[0].getState());
        }, () -> "its recipient DEFERRED after a 451; is " + seen.get().getRecipients()[0].getState());
        return seen.get();
    }
}
