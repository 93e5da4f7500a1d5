package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.Abort;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.URLName;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

import static dev.outbox.delivery.LoopbackSmtp.BUDGET;
import static dev.outbox.delivery.LoopbackSmtp.SETTINGS;
import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that connections sharing one Jakarta Mail Session ({@link MailSessions}) stay apart:
 * each gets its own plain and TLS socket, from threads connecting at once; an abort closes the
 * socket of its own connection only, also one made after it fired or still waiting for its
 * greeting; the Session keeps no login of a connection and no password in its properties; and
 * its socket factories make nothing for a thread that is not connecting.
 */
class SharedMailSessionTest {

    private static final byte[] CONTENT = LoopbackSmtp.content("Subject: shared\r\n\r\nbody\r\n");
    private static final Envelope ENVELOPE = Envelope.of("app@example.org", "ann@example.org");
    private static final MailSessions.Kind OPPORTUNISTIC = new MailSessions.Kind(true, false, false, false);

    @TempDir
    static Path keys;
    private static TestCertificate certificate;

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start().extensions("PIPELINING", "8BITMIME");
    private final MailSessions sessions = new MailSessions(SETTINGS.withTls(TlsPolicy.OPPORTUNISTIC), TIMEOUTS);

    @BeforeAll
    static void makeTheCertificate() {
        certificate = TestCertificate.generate(keys, "localhost", "dns:localhost");
    }

    @Test
    void oneSessionServesEveryConnectionOfItsKindAndAnAbortEndsOnlyItsOwn() throws Exception {
        server.starttls(certificate.serverContext());
        Session shared = sessions.session(OPPORTUNISTIC);

        try (SmtpSession first = open(new Abort());
             SmtpSession second = open(new Abort())) {
            assertSame(shared, sessions.session(OPPORTUNISTIC), "made once");
            assertTrue(first.tlsDescription().startsWith("TLS") && second.tlsDescription().startsWith("TLS"),
                    first.tlsDescription() + ", " + second.tlsDescription());

            first.abort();

            assertTrue(first.isBroken());
            assertFalse(second.isBroken());
            assertEquals(Status.DELIVERED, second.send(ENVELOPE, CONTENT, BUDGET).get(0).status(), "the other's socket is still open");
            assertEquals(Status.DEFERRED, first.send(ENVELOPE, CONTENT, BUDGET).get(0).status(), "the aborted one's is closed");
        }
        assertNull(shared.getPasswordAuthentication(new URLName("smtp", server.host(), server.port(), null, System.getProperty("user.name"), null)),
                "Service.connect's record of a connection without a password is taken back");
    }

    @Test
    void connectionsMadeAtOnceOnSeveralThreadsEachGetTheirOwnSockets() throws Exception {
        server.starttls(certificate.serverContext());
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> sent = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                sent.add(threads.submit(() -> {
                    try (SmtpSession session = open(new Abort())) {
                        List<RecipientOutcome> outcomes = session.send(ENVELOPE, CONTENT, BUDGET);
                        assertEquals(Status.DELIVERED, outcomes.get(0).status(), outcomes.toString());
                        return session.tlsDescription();
                    }
                }));
            }
            for (Future<String> each : sent) {
                assertTrue(each.get(60, TimeUnit.SECONDS).startsWith("TLS"));
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(20, server.awaitReceived(20, Duration.ofSeconds(10)).size());
        assertEquals(20, server.connectionsAccepted());
    }

    @Test
    void anAbortFiredBeforeTheSocketIsMadeClosesItAsItIsMade() {
        Abort abort = new Abort();
        abort.fire();
        long start = System.nanoTime();

        assertThrows(MessagingException.class, () -> open(abort).close());

        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000, "failed at once, without waiting for any timeout");
    }

    @Test
    void anAbortEndsAConnectionWaitingForItsGreeting() throws Exception {
        // A listener that never accepts: the kernel completes the TCP handshake, and no greeting ever comes.
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            MailSessions slow = new MailSessions(new SmtpSettings("outbox.test", Duration.ofSeconds(30), Duration.ofSeconds(30)), TIMEOUTS);
            Abort abort = new Abort();
            TIMEOUTS.schedule(abort::fire, 300, TimeUnit.MILLISECONDS);
            long start = System.nanoTime();

            assertThrows(MessagingException.class, () -> SmtpSession.open(new NextHop("127.0.0.1", silent.getLocalPort()), Peer.MX_HOST,
                    slow, BUDGET, abort).close());

            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000, "ended by the abort, not by the 30 s read timeout");
        }
    }

    @Test
    void thereIsOneSessionForEachKindAndNoneHoldsThePassword() {
        String password = "pa55-Wörd:s3cret";
        MailSessions withLogin = new MailSessions(SETTINGS.withLogin(new SmarthostLogin("ann", Secret.of(password), false)), TIMEOUTS);
        Set<Session> made = new HashSet<>();
        for (int bits = 0; bits < 16; bits++) {
            MailSessions.Kind kind = new MailSessions.Kind((bits & 1) != 0, (bits & 2) != 0, (bits & 4) != 0, (bits & 8) != 0);
            Session session = withLogin.session(kind);
            assertSame(session, withLogin.session(new MailSessions.Kind(kind.startTls(), kind.required(), kind.verify(), kind.auth())));
            made.add(session);
            assertFalse(session.getProperties().toString().contains(password), "the password is in the Session's properties");
            assertEquals(kind.auth(), "true".equals(session.getProperty("mail.smtp.auth")), kind.toString());
            assertEquals(kind.startTls(), "true".equals(session.getProperty("mail.smtp.starttls.enable")), kind.toString());
        }
        assertEquals(16, made.size());
    }

    @Test
    void theSessionsFactoriesMakeNoSocketForAThreadThatIsNotConnecting() {
        Session session = sessions.session(OPPORTUNISTIC);
        SocketFactory plain = (SocketFactory) session.getProperties().get("mail.smtp.socketFactory");
        SSLSocketFactory tls = (SSLSocketFactory) session.getProperties().get("mail.smtp.ssl.socketFactory");

        assertThrows(IllegalStateException.class, plain::createSocket);
        assertThrows(IllegalStateException.class, () -> tls.createSocket(null, "localhost", 25, true));
    }

    private SmtpSession open(Abort abort) throws MessagingException {
        return SmtpSession.open(new NextHop(server.host(), server.port()), Peer.MX_HOST, sessions, BUDGET, abort);
    }
}
