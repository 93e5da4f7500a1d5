package dev.outbox.it;

import dev.outbox.management.MessageDetail;
import dev.outbox.management.MessageSummary;
import dev.outbox.management.QueueMXBean;
import dev.outbox.management.QueueManagerMXBean;
import dev.outbox.management.RecipientDetail;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the MXBeans work the way an operator uses them, over remote JMX as
 * {@code bin/jconsole.sh} connects: the QueueManager and the smarthost's Queue are there with
 * their attributes, operations that only read are INFO and the others ACTION; freeze holds mail
 * while the peer is up and unfreeze delivers each message once; getMessage shows a deferred
 * recipient's last reply; deleteMessage removes only the message named (a delete with a
 * non-delivery report, which sends the sender a bounce, is {@link DeliveryStatusNoticeIT}'s).
 * Each test leaves the queue unfrozen and empty.
 */
class QueueManagementIT extends SubmitterTestBase {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** How long a frozen queue must hold mail that an open one delivers in well under a second. */
    private static final Duration HOLD = Duration.ofSeconds(3);
    /** The test server's retry schedule (arquillian.xml), before jitter. */
    private static final Duration RETRY = Duration.ofSeconds(2);
    private static final String SENDER = MarkedMail.SENDER;

    private final String destination = MarkedMail.DESTINATION;
    /** Marks this test's messages (subjects and recipients), so findMessages can pick them out. */
    private String run;

    private ScriptedSmtpServer relay;
    private MarkedMail mail;
    private RemoteJmx jmx;
    private QueueManagerMXBean manager;
    private QueueMXBean queue;

    @BeforeEach
    void connect() throws Exception {
        mail = MarkedMail.start(submitter, "t", DEADLINE);
        relay = mail.relay();
        run = mail.mark();
        jmx = RemoteJmx.connect();
        manager = jmx.queueManager();
        queue = jmx.queue(destination);
        openQueue();
        emptyQueue(); // a run that was killed may have left the queue frozen or with mail: the store outlives the server
    }

    @AfterEach
    void leaveTheQueueUnfrozenAndEmpty() throws IOException {
        try {
            emptyQueue();
        } finally {
            try {
                mail.close();
            } finally {
                jmx.close();
            }
        }
    }

    @Test
    void managerAndSmarthostQueueAreVisibleRemotelyWithAttributesAndImpacts() throws Exception {
        MBeanServerConnection connection = jmx.connection();
        ObjectName queueName = RemoteJmx.queueName(destination);
        long deliveredBefore = manager.getDelivered();
        Instant before = Instant.now();

        mail.submit("visible", mail.recipient("visible"));

        mail.awaitSubjects(List.of(mail.subject("visible")));
        Await.until(DEADLINE, () -> manager.getDelivered() == deliveredBefore + 1,
                () -> "Delivered " + deliveredBefore + " + 1; is " + manager.getDelivered());
        awaitQueueEmpty();

        assertEquals(Set.of(RemoteJmx.QUEUE_MANAGER), connection.queryNames(new ObjectName("outbox:type=QueueManager,*"), null));
        assertTrue(connection.queryNames(new ObjectName("outbox:type=Queue,*"), null).contains(queueName),
                "the smarthost's queue among " + connection.queryNames(new ObjectName("outbox:*"), null));

        MBeanInfo managerInfo = connection.getMBeanInfo(RemoteJmx.QUEUE_MANAGER);
        assertEquals("true", String.valueOf(managerInfo.getDescriptor().getFieldValue("mxbean")), "QueueManager is an MXBean");
        assertTrue(attributeNames(managerInfo).containsAll(List.of("Queued", "InFlight", "Deferred", "Frozen", "Delivered", "Bounced",
                        "Expired", "Deleted", "Deferrals", "StuckRecovered", "OverdueRecipients", "MessageCount", "StoreSizeBytes",
                        "Paused", "RetrySchedule", "MaxMessageAge")),
                "QueueManager attributes: " + attributeNames(managerInfo));
        // Open types, as a console without Outbox's classes reads them.
        assertEquals(deliveredBefore + 1, assertInstanceOf(Long.class, connection.getAttribute(RemoteJmx.QUEUE_MANAGER, "Delivered")));
        assertEquals(Boolean.FALSE, connection.getAttribute(RemoteJmx.QUEUE_MANAGER, "Paused"));
        assertEquals(0, connection.getAttribute(RemoteJmx.QUEUE_MANAGER, "OverdueRecipients"));
        assertEquals(0L, connection.getAttribute(RemoteJmx.QUEUE_MANAGER, "StuckRecovered"));
        assertFalse(manager.getRetrySchedule().isBlank(), "RetrySchedule");
        assertFalse(manager.getMaxMessageAge().isBlank(), "MaxMessageAge");
        assertInstanceOf(CompositeData[].class, connection.invoke(RemoteJmx.QUEUE_MANAGER, "findMessages",
                new Object[] {"", 0, 10}, new String[] {String.class.getName(), "int", "int"}));

        MBeanInfo queueInfo = connection.getMBeanInfo(queueName);
        assertEquals("true", String.valueOf(queueInfo.getDescriptor().getFieldValue("mxbean")), "Queue is an MXBean");
        assertTrue(attributeNames(queueInfo).containsAll(List.of("Destination", "State", "MessageCount", "SizeBytes",
                        "OldestMessageAgeSeconds", "NextRetryTime", "LastAttemptTime", "LastError", "ConsecutiveFailures",
                        "ActiveConnections")),
                "Queue attributes: " + attributeNames(queueInfo));
        assertEquals(destination, connection.getAttribute(queueName, "Destination"));
        assertEquals("EMPTY", connection.getAttribute(queueName, "State"));
        assertEquals(0, connection.getAttribute(queueName, "MessageCount"));
        assertEquals(0L, queue.getSizeBytes());
        assertEquals("", queue.getNextRetryTime(), "NextRetryTime of an empty queue");
        assertEquals("", queue.getLastError(), "LastError after a delivery");
        assertEquals(0, queue.getConsecutiveFailures());
        Instant lastAttempt = Instant.parse(queue.getLastAttemptTime());
        assertFalse(lastAttempt.isBefore(before.minusSeconds(1)), "LastAttemptTime " + lastAttempt + " is this test's delivery, after " + before);
        assertInstanceOf(CompositeData[].class, connection.invoke(queueName, "listMessages",
                new Object[] {0, 10}, new String[] {"int", "int"}));

        int info = MBeanOperationInfo.INFO;
        int action = MBeanOperationInfo.ACTION;
        assertEquals(new TreeMap<>(Map.of("pause", action, "resume", action, "retryAll", action, "findMessages", info,
                        "getMessage", info, "freezeMessage", action, "unfreezeMessage", action, "deleteMessage", action,
                        "resubmitMessage", action)),
                impacts(managerInfo), "QueueManager operations and their impact (INFO " + info + ", ACTION " + action + ")");
        assertEquals(new TreeMap<>(Map.of("retryNow", action, "freeze", action, "unfreeze", action, "listMessages", info,
                        "deleteAll", action)),
                impacts(queueInfo), "Queue operations and their impact (INFO " + info + ", ACTION " + action + ")");
    }

    @Test
    void freezeHoldsMailWhileThePeerIsUpAndUnfreezeDeliversEachOnce() throws Exception {
        queue.freeze();
        assertEquals("FROZEN", queue.getState(), "State right after freeze()");

        List<String> ids = new ArrayList<>();
        List<String> subjects = new ArrayList<>();
        for (int n = 1; n <= 3; n++) {
            ids.add(mail.submit("frozen-" + n, mail.recipient("frozen-" + n)));
            subjects.add(mail.subject("frozen-" + n));
        }

        holdFor(HOLD, () -> mail.subjectsReceived().stream().noneMatch(subjects::contains),
                () -> "the frozen queue let mail out: " + relay.received());
        assertEquals("FROZEN", queue.getState(), "State after " + HOLD + " with 3 messages");
        assertEquals(3, queue.getMessageCount(), "MessageCount of the frozen queue");

        MessageSummary[] firstPage = queue.listMessages(0, 2);
        MessageSummary[] secondPage = queue.listMessages(2, 2);
        assertEquals(2, firstPage.length, "listMessages(0, 2): " + describe(firstPage));
        assertEquals(1, secondPage.length, "listMessages(2, 2): " + describe(secondPage));
        List<String> listed = new ArrayList<>(ids(firstPage));
        listed.addAll(ids(secondPage));
        assertEquals(new HashSet<>(ids), new HashSet<>(listed), "the two pages hold the three messages, none twice: " + listed);
        for (MessageSummary summary : concat(firstPage, secondPage)) {
            assertEquals(SENDER, summary.getSender(), summary.getId());
            assertEquals(1, summary.getRecipients(), summary.getId());
            assertEquals(1, summary.getUnfinished(), summary.getId());
            assertTrue(summary.getSizeBytes() > 0, summary.getId() + " size " + summary.getSizeBytes());
            Instant.parse(summary.getSubmitTime());
        }
        assertEquals(ids, ids(manager.findMessages(run, 0, 10)), "findMessages by this test's mark, oldest first");

        queue.unfreeze();

        mail.awaitSubjects(subjects);
        awaitQueueEmpty();
        for (String subject : subjects) {
            assertEquals(1, mail.subjectsReceived().stream().filter(subject::equals).count(), "copies of '" + subject + "': " + relay.received());
        }
    }

    @Test
    void getMessageShowsTheLastReplyOfADeferredRecipientThatGoesOutAtTheNextRetry() throws Exception {
        relay.script(Rules.on(Command.RCPT).times(1).reply("451 4.7.1 greylisted"));
        long deferralsBefore = manager.getDeferrals();
        String to = mail.recipient("greylisted");

        String id = mail.submit("greylisted", to);

        AtomicReference<MessageDetail> seen = new AtomicReference<>();
        Await.until(DEADLINE, () -> {
            MessageDetail detail = manager.getMessage(id);
            seen.set(detail);
            return detail.getRecipients().length == 1 && "DEFERRED".equals(detail.getRecipients()[0].getState());
        }, () -> "its recipient DEFERRED; last seen " + describe(seen.get()));
        MessageDetail detail = seen.get();
        assertEquals(id, detail.getId());
        assertEquals(SENDER, detail.getSender());
        assertTrue(detail.getHeaders().contains("Subject: " + mail.subject("greylisted") + "\r\n"), detail.getHeaders());
        assertTrue(detail.getSizeBytes() > 0, "SizeBytes " + detail.getSizeBytes());
        assertTrue(Instant.parse(detail.getExpiryTime()).isAfter(Instant.parse(detail.getSubmitTime())), describe(detail));
        RecipientDetail recipient = detail.getRecipients()[0];
        assertEquals(to, recipient.getAddress());
        assertEquals(destination, recipient.getDestination());
        assertEquals(1, recipient.getAttempts(), describe(detail));
        assertTrue(recipient.getLastReply().contains("451 4.7.1 greylisted"), "lastReply: " + recipient.getLastReply());
        Duration dueAfterSubmit = Duration.between(Instant.parse(detail.getSubmitTime()), Instant.parse(recipient.getDueTime()));
        assertTrue(dueAfterSubmit.compareTo(RETRY) >= 0 && dueAfterSubmit.compareTo(RETRY.plusSeconds(3)) <= 0,
                "due again one retry (" + RETRY + " and jitter) after the attempt: " + describe(detail));

        Await.until(RETRY.plusSeconds(5), () -> mail.subjectsReceived().contains(mail.subject("greylisted")),
                () -> "delivered at the next retry; received " + relay.received());
        List<String> rcpts = relay.transcript().stream().filter(line -> line.endsWith("C: RCPT TO:<" + to + ">")).toList();
        assertEquals(2, rcpts.size(), "one RCPT refused, one accepted at the retry: " + relay.transcript());
        assertTrue(manager.getDeferrals() >= deferralsBefore + 1, "Deferrals " + deferralsBefore + " -> " + manager.getDeferrals());
        Await.until(DEADLINE, () -> manager.findMessages(id, 0, 10).length == 0,
                () -> "the delivered message no longer live; findMessages shows " + describe(manager.findMessages(id, 0, 10)));
    }

    @Test
    void deleteMessageRemovesOnlyThatMessage() throws Exception {
        queue.freeze();
        String keptId = mail.submit("kept", mail.recipient("kept"));
        String deletedId = mail.submit("deleted", mail.recipient("deleted"));
        Await.until(DEADLINE, () -> queue.getMessageCount() == 2, () -> "MessageCount 2 in the frozen queue; is " + queue.getMessageCount());
        long deletedBefore = manager.getDeleted();
        long noticesBefore = manager.getBounceNotices();

        assertEquals(1, manager.deleteMessage(deletedId, false), "recipients deleted");

        assertEquals(deletedBefore + 1, manager.getDeleted(), "Deleted");
        assertEquals(noticesBefore, manager.getBounceNotices(), "a delete without withNdr sends the sender no notice");
        assertEquals(List.of(keptId), ids(queue.listMessages(0, 10)), "what the frozen queue holds after the delete");
        queue.unfreeze();
        mail.awaitSubjects(List.of(mail.subject("kept")));
        awaitQueueEmpty();
        assertEquals(1, mail.subjectsReceived().stream().filter(mail.subject("kept")::equals).count(), "copies of the kept message: " + relay.received());
        assertFalse(mail.subjectsReceived().contains(mail.subject("deleted")), "the deleted message went out: " + relay.received());
    }

    /** Makes sure the smarthost's queue (and so its MBean) exists: it appears with its first message. */
    private void openQueue() throws Exception {
        Await.until(DEADLINE, () -> jmx.isRegistered(RemoteJmx.QUEUE_MANAGER), "outbox:type=QueueManager registered");
        if (!jmx.isRegistered(RemoteJmx.queueName(destination))) {
            mail.submit("warm-up", mail.recipient("warm-up"));
            Await.until(DEADLINE, () -> mail.subjectsReceived().contains(mail.subject("warm-up")) && jmx.isRegistered(RemoteJmx.queueName(destination)),
                    () -> "the warm-up message delivered and " + RemoteJmx.queueName(destination) + " registered; received "
                            + relay.received() + ", registered " + jmx.isRegistered(RemoteJmx.queueName(destination)));
        }
    }

    /** Unfreezes the queue and deletes what waits in it, then waits until it is EMPTY. */
    private void emptyQueue() {
        if (!jmx.isRegistered(RemoteJmx.queueName(destination))) {
            return;
        }
        if ("FROZEN".equals(queue.getState())) {
            queue.unfreeze();
        }
        if (queue.getMessageCount() > 0) {
            queue.deleteAll(false);
        }
        awaitQueueEmpty();
    }

    private void awaitQueueEmpty() {
        Await.until(DEADLINE, () -> queue.getMessageCount() == 0 && "EMPTY".equals(queue.getState()),
                () -> "queue " + destination + " EMPTY; is " + queue.getState() + " with " + queue.getMessageCount() + " messages: "
                        + describe(queue.listMessages(0, 10)));
    }

    /**
     * Waits {@code window} while {@code stillTrue} keeps holding; fails at once, with what
     * {@code whatFailed} says, when it stops.
     */
    private static void holdFor(Duration window, BooleanSupplier stillTrue, Supplier<String> whatFailed) {
        long end = System.nanoTime() + window.toNanos();
        Await.until(window.plusSeconds(5), () -> {
            if (!stillTrue.getAsBoolean()) {
                throw new AssertionError(whatFailed.get());
            }
            return System.nanoTime() - end >= 0;
        }, "the end of a " + window + " window");
    }


    private static List<String> attributeNames(MBeanInfo info) {
        return Arrays.stream(info.getAttributes()).map(MBeanAttributeInfo::getName).sorted().toList();
    }

    private static Map<String, Integer> impacts(MBeanInfo info) {
        return Arrays.stream(info.getOperations())
                .collect(Collectors.toMap(MBeanOperationInfo::getName, MBeanOperationInfo::getImpact, (a, b) -> a, TreeMap::new));
    }

    private static List<String> ids(MessageSummary[] summaries) {
        return Arrays.stream(summaries).map(MessageSummary::getId).toList();
    }

    private static List<MessageSummary> concat(MessageSummary[] first, MessageSummary[] second) {
        List<MessageSummary> all = new ArrayList<>(Arrays.asList(first));
        all.addAll(Arrays.asList(second));
        return all;
    }

    private static String describe(MessageSummary[] summaries) {
        return Arrays.stream(summaries)
                .map(s -> s.getId() + " from <" + s.getSender() + "> " + s.getStates() + " next " + s.getNextRetryTime())
                .collect(Collectors.joining("; ", "[", "]"));
    }

    private static String describe(MessageDetail detail) {
        if (detail == null) {
            return "nothing";
        }
        return detail.getId() + " submitted " + detail.getSubmitTime() + " expires " + detail.getExpiryTime() + " recipients "
                + Arrays.stream(detail.getRecipients())
                .map(r -> r.getAddress() + " via " + r.getDestination() + " " + r.getState() + " due " + r.getDueTime()
                        + " attempts " + r.getAttempts() + " reply '" + r.getLastReply() + "'")
                .collect(Collectors.joining("; ", "[", "]"));
    }
}
