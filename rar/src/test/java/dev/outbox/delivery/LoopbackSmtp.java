package dev.outbox.delivery;

import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import dev.outbox.queue.NextHop;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GreenMail server the delivery tests send to, and what they read back from it. */
final class LoopbackSmtp {

    static final SmtpSettings SETTINGS = new SmtpSettings("outbox.test", Duration.ofSeconds(5), Duration.ofSeconds(5));

    /** The budget of one connect or send in these tests: far more than any takes on loopback. */
    static final Duration BUDGET = Duration.ofSeconds(30);

    /** The timer thread the sessions share, as the deliverer's is in the adapter. */
    static final ScheduledExecutorService TIMEOUTS = Executors.newSingleThreadScheduledExecutor(task -> {
        Thread thread = new Thread(task, "test-smtp-timeouts");
        thread.setDaemon(true);
        return thread;
    });

    private LoopbackSmtp() {
    }

    /** A server on a port the system picks, on loopback only: parallel builds on this machine cannot collide. */
    static GreenMailExtension server() {
        return new GreenMailExtension(ServerSetupTest.SMTP.createCopy("127.0.0.1").dynamicPort());
    }

    static NextHop nextHop(GreenMailExtension server) {
        return new NextHop("127.0.0.1", server.getSmtp().getPort());
    }

    /** The one message {@code server} received, waiting for it a few seconds. */
    static MimeMessage onlyReceived(GreenMailExtension server) {
        assertTrue(server.waitForIncomingEmail(5_000, 1));
        MimeMessage[] received = server.getReceivedMessages();
        assertEquals(1, received.length);
        return received[0];
    }

    /** Complete content: From, To and Message-ID, then the given fields and body. */
    static byte[] content(String rest) {
        return ("From: author@example.org\r\nTo: team@example.org\r\nMessage-ID: <1@example.org>\r\n" + rest)
                .getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The body as GreenMail stored it, bytes and line endings included, except the CRLF of the
     * last line: GreenMail keeps that as part of the end-of-data mark.
     */
    static String body(MimeMessage message) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = message.getRawInputStream()) {
            in.transferTo(out);
        }
        return out.toString(StandardCharsets.US_ASCII);
    }
}
