package dev.outbox.queue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.store.StoredMessage;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the queue engine against a real SMTP server and the real journal: delivery empties
 * the store, a dead next hop puts the queue into RETRY and its mail is delivered once the
 * next hop is back, a restart recovers every unfinished recipient, the sweep repairs what a
 * lost wake-up strands, and mail past its age expires.
 */
class MailQueueTest {

    private static final Duration DEADLINE = Duration.ofSeconds(15);
    private static final SubmitLimits LIMITS = new SubmitLimits(1024 * 1024, 100);

    @TempDir
    Path directory;

    private final TestClock clock = new TestClock(Instant.ofEpochMilli(1_800_000_000_000L));
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final List<String> wakeupsAsked = new ArrayList<>();
    private int port;
    private GreenMail server;
    private JournalStore store;
    private MailQueue queue;

    @BeforeEach
    void freePort() throws Exception {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
    }

    @AfterEach
    void stopAll() throws Exception {
        if (queue != null) {
            queue.stop(5_000);
        }
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        if (server != null) {
            server.stop();
        }
    }

    @Test
    void deliveredMailLeavesTheStore() throws Exception {
        startServer();
        open(policy("1m", "2d"));

        for (int i = 0; i < 5; i++) {
            queue.submit(submission("m" + i + "@a.example"));
        }

        await(() -> server.getReceivedMessages().length == 5);
        await(() -> store.messageCount() == 0 && queue.messageCount() == 0);
        assertEquals(5, queue.deliveredCount());
        await(() -> onlyQueue().state(clock.millis()) == QueueState.EMPTY); // once the connection has said QUIT
    }

    @Test
    void deadNextHopPutsTheQueueIntoRetryAndItsMailGoesOutWhenItIsBack() throws Exception {
        open(policy("30s", "2d"));

        queue.submit(submission("ann@a.example"));
        queue.submit(submission("bob@b.example"));

        await(() -> !queue.queues().isEmpty() && onlyQueue().consecutiveFailures() == 1 && onlyQueue().activeConnections() == 0);
        TransferQueue transfer = onlyQueue();
        assertEquals(QueueState.RETRY, transfer.state(clock.millis()));
        assertTrue(transfer.lastError().startsWith("cannot connect to 127.0.0.1:" + port), transfer.lastError());
        assertEquals(List.of(transfer.name()), wakeupsAsked, "one wake-up asked for, at the retry time");
        assertEquals(2, store.messageCount());

        startServer();
        clock.advance(Duration.ofSeconds(40));
        queue.wake(transfer.name());

        await(() -> server.getReceivedMessages().length == 2);
        await(() -> store.messageCount() == 0);
        assertEquals(0, queue.stuckRecovered());
    }

    @Test
    void restartRecoversEveryUnfinishedRecipientWithItsDueTime() throws Exception {
        open(policy("1m", "2d"));
        for (int i = 0; i < 20; i++) {
            queue.submit(submission("r" + i + "@r.example"));
        }
        await(() -> !queue.queues().isEmpty() && onlyQueue().state(clock.millis()) == QueueState.RETRY
                && onlyQueue().activeConnections() == 0);
        queue.stop(5_000);

        List<StoredMessage> seen = new ArrayList<>();
        try (JournalStore reopened = new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)) {
            reopened.recover((m, length) -> seen.add(m));
        }
        assertEquals(20, seen.size());
        for (StoredMessage message : seen) {
            // Never attempted (the connection failed first): due as soon as the queue may connect.
            assertEquals(RecipientState.QUEUED, message.statuses().get(0).state());
        }

        startServer();
        open(policy("1m", "2d"));

        await(() -> server.getReceivedMessages().length == 20);
        await(() -> store.messageCount() == 0);
    }

    @Test
    void sweepRepairsWhatALostWakeupLeftOverdue() throws Exception {
        open(policy("1m", "2d"));
        queue.submit(submission("lost@l.example"));
        await(() -> !queue.queues().isEmpty() && onlyQueue().state(clock.millis()) == QueueState.RETRY
                && onlyQueue().activeConnections() == 0);
        startServer();

        clock.advance(Duration.ofMinutes(5)); // the wake-up for minute 1 never came
        int repaired = queue.sweep();

        assertEquals(1, repaired);
        assertEquals(1, queue.stuckRecovered());
        await(() -> server.getReceivedMessages().length == 1);
    }

    @Test
    void mailPastItsAgeExpires() throws Exception {
        open(policy("1m", "10m"));
        queue.submit(submission("old@o.example"));
        await(() -> !queue.queues().isEmpty() && onlyQueue().state(clock.millis()) == QueueState.RETRY
                && onlyQueue().activeConnections() == 0);

        clock.advance(Duration.ofMinutes(11)); // the next hop stays dead past the message's age
        queue.sweep();

        await(() -> store.messageCount() == 0);
        assertEquals(1, queue.expiredCount());
        assertEquals(0, queue.deliveredCount());
    }

    private void open(QueuePolicy policy) {
        store = new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20);
        SmtpDeliverer deliverer = new SmtpDeliverer(new SmtpSettings("outbox.test", Duration.ofSeconds(2), Duration.ofSeconds(5)));
        Destination hop = Destination.smarthost(new NextHop("127.0.0.1", port));
        queue = new MailQueue(clock, store, recipient -> hop, deliverer, executor,
                (destination, due) -> {
                    synchronized (wakeupsAsked) {
                        wakeupsAsked.add(destination);
                    }
                    return true;
                }, policy);
        queue.start();
    }

    private static QueuePolicy policy(String retry, String maxAge) {
        return new QueuePolicy(RetrySchedule.parse(retry), RetrySchedule.DurationText.parse(maxAge), 2, 100);
    }

    private void startServer() {
        server = new GreenMail(new ServerSetup(port, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        server.start();
    }

    private TransferQueue onlyQueue() {
        assertEquals(1, queue.queues().size());
        return queue.queues().iterator().next();
    }

    private static Submission submission(String recipient) throws Exception {
        String content = "From: app@example.com\r\nTo: " + recipient + "\r\nSubject: test\r\n\r\nbody\r\n";
        return Submission.of(new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII)),
                Envelope.of("app@example.com", recipient), LIMITS, "outbox.test");
    }

    private static void await(BooleanSupplier condition) {
        Await.until(DEADLINE, condition, "condition not met");
    }
}
