package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of the lazy write timeout (6feeb60): one self-rescheduling check per wire on the shared
 * timer thread. A peer that stops reading is still cut within about the write timeout, however
 * long the connection was idle or however many quick writes went before; a connection kept open
 * holds one task, not one per write; and once the connection is closed (or aborted) no check
 * keeps rescheduling.
 */
class LazyWriteTimeoutReviewTest {

    private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(1);
    private static final SmtpSettings SETTINGS = new SmtpSettings("outbox.test", Duration.ofSeconds(5), Duration.ofSeconds(30), WRITE_TIMEOUT);
    private static final Envelope ENVELOPE = Envelope.of("app@example.org", "a@example.org");
    private static final byte[] SMALL = LoopbackSmtp.content("Subject: small\r\n\r\nbody\r\n");

    @TempDir
    static Path keys;
    private static TestCertificate certificate;

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start().extensions("PIPELINING", "8BITMIME");
    /** A timer of the deliverer's kind, whose queue the test can count. */
    private final ScheduledThreadPoolExecutor timer = new ScheduledThreadPoolExecutor(1, task -> {
        Thread thread = new Thread(task, "review-smtp-timeouts");
        thread.setDaemon(true);
        return thread;
    });

    {
        timer.setRemoveOnCancelPolicy(true);
    }

    @BeforeAll
    static void makeTheCertificate() {
        certificate = TestCertificate.generate(keys, "localhost", "dns:localhost");
    }

    @AfterEach
    void stopTimer() {
        timer.shutdownNow();
    }

    private NextHop hop() {
        return new NextHop(server.host(), server.port());
    }

    private static byte[] big() {
        StringBuilder body = new StringBuilder("Subject: big\r\n\r\n");
        while (body.length() < (8 << 20)) {
            body.append("y".repeat(998)).append("\r\n");
        }
        return LoopbackSmtp.content(body.toString());
    }

    @Test
    void aPeerThatStopsReadingAfterALongIdleSpellIsCutWithinAboutTheWriteTimeout() throws Exception {
        AtomicBoolean stall = new AtomicBoolean();
        server.script(Rules.on(Command.DATA).when(exchange -> stall.get()).stopReading());
        byte[] big = big();
        try (SmtpSession session = deliveredOnce(TlsPolicy.NONE)) {
            Thread.sleep(WRITE_TIMEOUT.toMillis() * 5 / 2); // idle for 2.5 timeouts: the check is somewhere in its period
            stall.set(true);
            long started = System.nanoTime();
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, big, LoopbackSmtp.BUDGET);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertTrue(outcomes.get(0).reply().contains("write timeout"), outcomes.get(0).reply());
            assertTrue(tookMillis < 2 * WRITE_TIMEOUT.toMillis() + 500, "cut after " + tookMillis + " ms; the write timeout is " + WRITE_TIMEOUT);
        }
    }

    @Test
    void manyQuickWritesOnOneConnectionKeepOneTaskAndAStallAfterThemIsCut() throws Exception {
        AtomicBoolean stall = new AtomicBoolean();
        server.script(Rules.on(Command.DATA).when(exchange -> stall.get()).stopReading());
        byte[] big = big();
        try (SmtpSession session = SmtpSession.open(hop(), Peer.MX_HOST, SETTINGS.withTls(TlsPolicy.NONE), timer, LoopbackSmtp.BUDGET)) {
            int most = 0;
            for (int i = 0; i < 300; i++) {
                assertEquals(Status.DELIVERED, session.send(ENVELOPE, SMALL, LoopbackSmtp.BUDGET).get(0).status());
                most = Math.max(most, timer.getQueue().size());
            }
            assertTrue(most <= 1, "tasks queued on the timer between messages: up to " + most);
            stall.set(true);
            long started = System.nanoTime();
            List<RecipientOutcome> outcomes = session.send(ENVELOPE, big, LoopbackSmtp.BUDGET);
            long tookMillis = (System.nanoTime() - started) / 1_000_000;
            assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
            assertTrue(tookMillis < 2 * WRITE_TIMEOUT.toMillis() + 500, "cut after " + tookMillis + " ms");
        }
    }

    @Test
    void noCheckOutlivesAClosedPlainConnection() throws Exception {
        try (SmtpSession session = deliveredOnce(TlsPolicy.NONE)) {
            assertEquals(1, timer.getQueue().size(), "the watch of the open connection");
        }
        // At once, not when its time comes: a queued check holds the wire's buffers for the whole
        // write timeout (300 s by default), and a server making thousands of connections ran
        // short of heap with them.
        assertEquals(0, timer.getQueue().size(), "a check still queued after the connection was closed: " + timer.getQueue());
        assertEquals(0, timer.getActiveCount());
    }

    @Test
    void noCheckOutlivesAnAbortedPlainConnection() throws Exception {
        SmtpSession session = deliveredOnce(TlsPolicy.NONE);
        session.abort(); // as a deadline or the queue's stop does; the engine lets go of a broken connection
        Await.until(WRITE_TIMEOUT.multipliedBy(3), () -> timer.getQueue().isEmpty(),
                () -> "a check keeps rescheduling after the connection was aborted: " + timer.getQueue());
    }

    /** An abort closes only the plain socket; the wire watches the TLS socket over it, whose isClosed() stays false. */
    @Test
    void noCheckOutlivesAnAbortedTlsConnection() throws Exception {
        server.starttls(certificate.serverContext());
        SmtpSession session = deliveredOnce(TlsPolicy.OPPORTUNISTIC);
        assertTrue(session.tlsDescription().startsWith("TLS"), session.tlsDescription());
        session.abort();
        Await.until(WRITE_TIMEOUT.multipliedBy(3), () -> timer.getQueue().isEmpty(),
                () -> "a check keeps rescheduling after the TLS connection was aborted: " + timer.getQueue());
    }

    @Test
    void noCheckOutlivesAnAbortedThenClosedTlsConnection() throws Exception {
        server.starttls(certificate.serverContext());
        SmtpSession session = deliveredOnce(TlsPolicy.OPPORTUNISTIC);
        session.abort();
        session.close();
        assertEquals(0, timer.getQueue().size(), "a check still queued after the TLS connection was aborted and closed: " + timer.getQueue());
    }

    @Test
    void aTlsPeerThatStopsReadingIsCutAndItsCheckEnds() throws Exception {
        server.starttls(certificate.serverContext());
        AtomicBoolean stall = new AtomicBoolean();
        server.script(Rules.on(Command.DATA).when(exchange -> stall.get()).stopReading());
        byte[] big = big();
        SmtpSession session = deliveredOnce(TlsPolicy.OPPORTUNISTIC);
        stall.set(true);
        long started = System.nanoTime();
        List<RecipientOutcome> outcomes = session.send(ENVELOPE, big, LoopbackSmtp.BUDGET);
        long tookMillis = (System.nanoTime() - started) / 1_000_000;
        assertEquals(Status.DEFERRED, outcomes.get(0).status(), outcomes.toString());
        assertTrue(tookMillis < 2 * WRITE_TIMEOUT.toMillis() + 500, "cut after " + tookMillis + " ms");
        session.close();
        assertEquals(0, timer.getQueue().size(), "checks still queued after close: " + timer.getQueue());
    }

    @Test
    void stoppingTheTimerWhileACheckIsPendingLeavesNothingRunning() throws Exception {
        try (SmtpSession session = deliveredOnce(TlsPolicy.NONE)) {
            timer.shutdownNow(); // the deliverer's close
            assertTrue(timer.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS));
            // A send after the deliverer closed fails as the adapter stopping, not hangs or slips through unwatched.
            try {
                session.send(ENVELOPE, SMALL, LoopbackSmtp.BUDGET);
            } catch (IllegalStateException expected) {
                assertTrue(expected.getMessage().contains("closed"), expected.getMessage());
            }
        }
    }

    /** A session opened with {@code tls} that has delivered one small message: its wire has flushed, so its watch is on the timer. */
    private SmtpSession deliveredOnce(TlsPolicy tls) throws Exception {
        SmtpSession session = SmtpSession.open(hop(), Peer.MX_HOST, SETTINGS.withTls(tls), timer, LoopbackSmtp.BUDGET);
        assertEquals(Status.DELIVERED, session.send(ENVELOPE, SMALL, LoopbackSmtp.BUDGET).get(0).status());
        return session;
    }
}
