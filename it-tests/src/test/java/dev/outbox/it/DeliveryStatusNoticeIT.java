package dev.outbox.it;

import dev.outbox.management.MessageDetail;
import dev.outbox.management.QueueManagerMXBean;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that Outbox's delivery status notifications work inside WildFly, on its delivery
 * threads, with the Angus dsn jar the rar bundles: a recipient refused with 550 5.1.1 gets the
 * sender exactly one bounce, sent with MAIL FROM:&lt;&gt; through the same smarthost, that Jakarta
 * Mail and Angus's {@code MultipartReport} read back field by field; a message with a null
 * reverse path bounces without any notice; and an operator's {@code deleteMessage(id, true)} of a
 * deferred message sends one bounce that says it was deleted, counted in BounceNotices.
 */
class DeliveryStatusNoticeIT extends SubmitterTestBase {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** Where the raw text of one notice is saved, as the relay received it. */
    private static final Path EXAMPLE = Path.of("target", "example-dsn.eml");
    private static final Pattern EHLO = Pattern.compile("\\d+ C: EHLO (\\S+)");

    private ScriptedSmtpServer relay;
    private RemoteJmx jmx;
    private QueueManagerMXBean manager;
    /** In every address and subject of one test, so mail of other tests never counts. */
    private String mark;
    private String sender;

    @BeforeEach
    void start() throws Exception {
        relay = ScriptedSmtpServer.start("127.0.0.1", TestSmtp.setup().getPort());
        jmx = RemoteJmx.connect();
        manager = jmx.queueManager();
        Await.until(DEADLINE, () -> jmx.isRegistered(RemoteJmx.QUEUE_MANAGER), "outbox:type=QueueManager registered");
        mark = "n" + Long.toString(System.nanoTime(), 36);
        sender = "sender-" + mark + "@example.com";
    }

    @AfterEach
    void stop() throws Exception {
        try {
            relay.close();
        } finally {
            jmx.close();
        }
    }

    @Test
    void aRecipientRefusedWith550GetsTheSenderOneBounceThatAngusReadsFieldByField() throws Exception {
        String keptFirst = "alice-" + mark + "@q.example";
        String refused = "nobody-" + mark + "@q.example";
        String keptLast = "carol-" + mark + "@q.example";
        String reply = "550 5.1.1 <" + refused + ">: Recipient address rejected: User unknown";
        relay.script(Rules.on(Command.RCPT).when(exchange -> exchange.argument().contains(refused)).reply(reply));
        String messageId = "<numbers-" + mark + "@it.outbox>";
        String subject = "Quarterly numbers " + mark;
        long bounceNoticesBefore = manager.getBounceNotices();

        Instant submitted = Instant.now();
        String id = submit(sender, messageId, subject, keptFirst, refused, keptLast);
        Instant acknowledged = Instant.now();

        List<ReceivedNotice> notices = awaitNotices(messageId, 1);
        awaitNothingLiveFor(id);
        ReceivedNotice notice = notices.get(0);
        Files.write(EXAMPLE, notice.received().data());

        // The original went to the two recipients the relay took, once, in one transaction.
        List<Received> originals = acknowledged(messageId);
        assertEquals(1, originals.size(), "the original, once: " + relay.received());
        assertEquals(List.of(keptFirst, keptLast), originals.get(0).recipients());
        assertEquals("<" + sender + ">", originals.get(0).mailFrom().split(" ")[0]);

        // The notice's envelope: from nobody, to the original's sender, through the same smarthost.
        assertEquals(1, ReceivedNotice.about(relay.received(), messageId).size(), "one notice in all: " + relay.received());
        assertEquals("<>", notice.received().mailFrom().split(" ")[0], "MAIL FROM of the notice");
        assertEquals(List.of(sender), notice.received().recipients(), "RCPT TO of the notice");
        assertTrue(notice.received().acknowledged());

        // Its header.
        String ehlo = ehloName();
        assertTrue(notice.contentType().match("multipart/report"), notice.contentType().toString());
        assertEquals("delivery-status", notice.contentType().getParameter("report-type"));
        assertEquals("auto-replied", notice.header("Auto-Submitted"));
        assertEquals("Undelivered Mail Returned to Sender", notice.message().getSubject());
        assertEquals("Mail Delivery System <MAILER-DAEMON@" + ehlo + ">", notice.header("From"));
        assertEquals("<" + sender + ">", notice.header("To"));
        assertTrue(notice.messageId().matches("<[^<>@]+@" + Pattern.quote(ehlo) + ">"), notice.messageId());

        // The per-message fields.
        Map<String, String> perMessage = new LinkedHashMap<>(notice.messageFields());
        assertWithin(ReceivedNotice.date(perMessage.remove("Arrival-Date")), submitted, acknowledged, "Arrival-Date");
        assertEquals(Map.of("Reporting-MTA", "dns; " + ehlo), perMessage, "the other per-message fields");

        // One recipient group: the refused recipient only (and no Will-Retry-Until: nothing is retried after a failure).
        Map<String, String> group = new LinkedHashMap<>(notice.onlyRecipientGroup());
        assertWithin(ReceivedNotice.date(group.remove("Last-Attempt-Date")), submitted, Instant.now(), "Last-Attempt-Date");
        assertEquals(Map.of("Final-Recipient", "rfc822; " + refused, "Action", "failed", "Status", "5.1.1", "Remote-MTA", "dns; [127.0.0.1]",
                "Diagnostic-Code", "smtp; " + reply), group, "the other fields of the refused recipient");

        // The explanation, and the original's header returned (the default, outbox.dsn-return=headers).
        assertTrue(notice.explanation().contains("<" + refused + ">: failed, status 5.1.1"), notice.explanation());
        assertFalse(notice.explanation().contains(keptFirst) || notice.explanation().contains(keptLast), notice.explanation());
        assertEquals("text/rfc822-headers", notice.returnedType());
        assertEquals(subject, notice.returnedHeader("Subject"));
        assertEquals(messageId, notice.returnedHeader("Message-ID"));

        // Counted, and queued under the id made from the original's and the recipient's index.
        assertEquals(bounceNoticesBefore + 1, manager.getBounceNotices(), "BounceNotices");
        assertEquals(1, ServerLog.of(jbossHome()).linesWith("Outbox queued bounce " + id + "-n1 to " + sender).size(),
                "the log line of bounce " + id + "-n1");
    }

    @Test
    void aMessageWithANullReversePathBouncesWithoutANotice() throws Exception {
        String refused = "nobody-" + mark + "@q.example";
        relay.script(Rules.on(Command.RCPT).when(exchange -> exchange.argument().contains(refused))
                .reply("550 5.1.1 <" + refused + ">: Recipient address rejected: User unknown"));
        long bouncedBefore = manager.getBounced();
        long withheldBefore = manager.getNoticesWithheld();
        long bounceNoticesBefore = manager.getBounceNotices();

        String id = submit("", "<null-sender-" + mark + "@it.outbox>", "No reverse path " + mark, refused);

        Await.until(DEADLINE, () -> manager.getNoticesWithheld() == withheldBefore + 1 && manager.getBounced() >= bouncedBefore + 1,
                () -> "the recipient bounced and its notice withheld; Bounced " + bouncedBefore + " -> " + manager.getBounced()
                        + ", NoticesWithheld " + withheldBefore + " -> " + manager.getNoticesWithheld());
        awaitNothingLiveFor(id); // a notice would be live, under an id that starts with the original's, until delivered
        // And mail submitted afterwards goes out with nothing before it about this message.
        String marker = "<marker-" + mark + "@it.outbox>";
        submit(sender, marker, "marker " + mark, "marker-" + mark + "@q.example");
        Await.until(DEADLINE, () -> acknowledged(marker).size() == 1, () -> "the marker delivered; received " + relay.received());

        assertEquals(bounceNoticesBefore, manager.getBounceNotices(), "BounceNotices");
        assertEquals(List.of(), relay.received().stream().filter(ReceivedNotice::isNotice).toList(), "notices sent");
        assertEquals(1, relay.transcript().stream().filter(line -> line.endsWith("C: RCPT TO:<" + refused + ">")).count(),
                "the refused recipient tried once: " + relay.transcript());
        assertEquals(1, ServerLog.of(jbossHome()).linesWith("Outbox sends no notice for recipient " + refused + " of message " + id).size(),
                "the log line that says why no notice goes back");
    }

    @Test
    void deletingADeferredMessageWithANoticeSendsOneBounceThatSaysItWasDeleted() throws Exception {
        String greylisted = "later-" + mark + "@q.example";
        relay.script(Rules.on(Command.RCPT).when(exchange -> exchange.argument().contains(greylisted)).reply("451 4.7.1 Greylisted, try later"));
        String messageId = "<deleted-" + mark + "@it.outbox>";
        String subject = "Deleted by an operator " + mark;

        Instant submitted = Instant.now();
        String id = submit(sender, messageId, subject, greylisted);
        AtomicReference<MessageDetail> seen = new AtomicReference<>();
        Await.until(DEADLINE, () -> {
            seen.set(manager.getMessage(id));
            return "DEFERRED".equals(seen.get().getRecipients()[0].getState());
        }, () -> "its recipient DEFERRED after a 451; is " + seen.get().getRecipients()[0].getState());
        long bounceNoticesBefore = manager.getBounceNotices();
        long deletedBefore = manager.getDeleted();

        // Deferred, due again in two seconds: if the retry has begun meanwhile, the delete waits for its 451, then applies.
        assertEquals(1, manager.deleteMessage(id, true), "recipients deleted");

        List<ReceivedNotice> notices = awaitNotices(messageId, 1);
        awaitNothingLiveFor(id);
        assertEquals(1, ReceivedNotice.about(relay.received(), messageId).size(), "one notice in all: " + relay.received());
        ReceivedNotice notice = notices.get(0);
        assertEquals(List.of(sender), notice.received().recipients(), "RCPT TO of the notice");
        assertEquals("<>", notice.received().mailFrom().split(" ")[0], "MAIL FROM of the notice");
        assertEquals("Undelivered Mail Returned to Sender", notice.message().getSubject());
        // Outbox's own reason, and no Remote-MTA: no remote host said it.
        Map<String, String> group = new LinkedHashMap<>(notice.onlyRecipientGroup());
        assertWithin(ReceivedNotice.date(group.remove("Last-Attempt-Date")), submitted, Instant.now(), "Last-Attempt-Date (the 451)");
        assertEquals(Map.of("Final-Recipient", "rfc822; " + greylisted, "Action", "failed", "Status", "5.0.0",
                "Diagnostic-Code", "X-Outbox; deleted by an operator"), group, "the other fields of the deleted recipient");
        assertTrue(notice.explanation().contains("deleted by an operator"), notice.explanation());
        assertEquals(subject, notice.returnedHeader("Subject"));
        assertTrue(relay.received().stream().noneMatch(r -> r.recipients().contains(greylisted)), "the deleted message went out");
        assertEquals(bounceNoticesBefore + 1, manager.getBounceNotices(), "BounceNotices");
        assertEquals(deletedBefore + 1, manager.getDeleted(), "Deleted");
    }

    /** Submits a short message with that Message-ID and Subject, in this envelope; returns its queue id. */
    private String submit(String from, String messageId, String subject, String... to) throws Exception {
        String content = "From: app@example.com\r\nTo: " + String.join(", ", to) + "\r\nSubject: " + subject + "\r\nMessage-ID: " + messageId
                + "\r\n\r\n" + subject + "\r\n";
        Http.Answer answer = Http.submitRaw(submitter, from, content, to);
        assertEquals(200, answer.status(), answer.body());
        return answer.body().substring("id=".length()).strip();
    }

    /** Waits for {@code count} notices acknowledged about the message with {@code messageId}. */
    private List<ReceivedNotice> awaitNotices(String messageId, int count) {
        Await.until(DEADLINE, () -> ReceivedNotice.about(acknowledged(), messageId).size() >= count,
                () -> count + " notices about " + messageId + "; received " + relay.received());
        return ReceivedNotice.about(acknowledged(), messageId);
    }

    /** Waits until neither message {@code id} nor a notice about it (whose id starts with it) is in the queue. */
    private void awaitNothingLiveFor(String id) {
        Await.until(DEADLINE, () -> manager.findMessages(id, 0, 10).length == 0,
                () -> "nothing live for " + id + "; findMessages shows " + List.of(manager.findMessages(id, 0, 10)));
    }

    private List<Received> acknowledged() {
        return relay.received().stream().filter(Received::acknowledged).toList();
    }

    /** The copies of the message with {@code messageId} that the relay acknowledged. */
    private List<Received> acknowledged(String messageId) {
        return acknowledged().stream().filter(r -> r.header("Message-ID").map(messageId::equals).orElse(false)).toList();
    }

    /** The name Outbox gave in EHLO: what the notices name as their reporting MTA. */
    private String ehloName() {
        for (String line : relay.transcript()) {
            Matcher m = EHLO.matcher(line);
            if (m.matches()) {
                return m.group(1);
            }
        }
        throw new AssertionError("no EHLO in " + relay.transcript());
    }

    private static Path jbossHome() {
        return Path.of(System.getProperty("jboss.home"));
    }

    /** {@code actual}, written to the second, lies between {@code from} and {@code to}. */
    private static void assertWithin(Instant actual, Instant from, Instant to, String what) {
        assertFalse(actual.isBefore(from.truncatedTo(ChronoUnit.SECONDS)) || actual.isAfter(to),
                what + " " + actual + " is between " + from + " and " + to);
    }
}
