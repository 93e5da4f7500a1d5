package dev.outbox.it;

import com.icegreen.greenmail.util.GreenMail;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that nothing accepted is lost to kill -9: messages submitted while the SMTP peer is
 * down (some of them while the server is being killed) are all delivered, once each, after
 * the server starts again and the peer comes back, with no operator action; and that an
 * operator's freeze of a queue holds across kill -9.
 */
class CrashRecoveryIT extends CrashServerTestBase {

    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Test
    void everyAcknowledgedMessageIsDeliveredAfterKillDashNine() throws Exception {
        startWithEmptyStore(); // a store of this test's own
        URL submitter = submitterUrl();

        // The SMTP peer is down. Submit 60 messages, then keep submitting from another thread
        // while the server is killed.
        Set<Integer> acknowledged = new HashSet<>();
        for (int n = 0; n < 60; n++) {
            assertEquals(200, submit(submitter, n).status());
            acknowledged.add(n);
        }
        AtomicBoolean killed = new AtomicBoolean();
        List<Integer> acknowledgedDuringKill = new ArrayList<>();
        Thread submitting = new Thread(() -> {
            for (int n = 1000; !killed.get() && n < 2000; n++) {
                try {
                    if (submit(submitter, n).status() == 200) {
                        synchronized (acknowledgedDuringKill) {
                            acknowledgedDuringKill.add(n);
                        }
                    }
                } catch (IOException | InterruptedException e) {
                    return; // the server is gone
                }
            }
        });
        submitting.start();
        Await.until(DEADLINE, () -> {
            synchronized (acknowledgedDuringKill) {
                return acknowledgedDuringKill.size() >= 20;
            }
        }, "20 submits during the kill");
        killDashNine();
        killed.set(true);
        submitting.join(30_000);
        synchronized (acknowledgedDuringKill) {
            acknowledged.addAll(acknowledgedDuringKill);
        }

        // Start again (the deployments are in the server's configuration), then bring the peer up.
        controller.start(CONTAINER);
        GreenMail peer = new GreenMail(TestSmtp.setup());
        peer.start();
        try {
            Await.until(DEADLINE, () -> delivered(peer).containsAll(acknowledged), "every acknowledged message delivered");
            List<Integer> all = deliveredList(peer);
            assertEquals(new HashSet<>(all).size(), all.size(), "no message delivered twice: " + all);
            assertTrue(all.size() >= acknowledged.size());
        } finally {
            peer.stop();
            stop();
        }
    }

    /**
     * An operator's freeze survives kill -9: a queue frozen over remote JMX, with mail waiting in
     * it, is still FROZEN after the restart and sends nothing while its peer is up, and every
     * message goes out once when it is unfrozen.
     */
    @Test
    void aFrozenQueueIsStillFrozenAfterKillDashNine() throws Exception {
        startWithEmptyStore();
        URL submitter = submitterUrl();
        String destination = "127.0.0.1:" + TestSmtp.setup().getPort();
        ScriptedSmtpServer peer = null;
        try {
            // The peer is down: the first message makes the queue, which the operator freezes.
            assertEquals(200, submit(submitter, 0).status());
            try (RemoteJmx jmx = RemoteJmx.connect()) {
                Await.until(DEADLINE, () -> jmx.isRegistered(RemoteJmx.queueName(destination)), "the queue's MBean");
                jmx.queue(destination).freeze();
                assertEquals("FROZEN", jmx.queue(destination).getState());
            }
            for (int n = 1; n < 6; n++) {
                assertEquals(200, submit(submitter, n).status());
            }
            killDashNine();
            controller.start(CONTAINER);
            peer = ScriptedSmtpServer.start("127.0.0.1", TestSmtp.setup().getPort());
            try (RemoteJmx jmx = RemoteJmx.connect()) {
                Await.until(DEADLINE, () -> jmx.isRegistered(RemoteJmx.queueName(destination)), "the queue's MBean after the restart");
                assertEquals("FROZEN", jmx.queue(destination).getState(), "still frozen after kill -9");
                assertEquals(6, jmx.queue(destination).getMessageCount());
                ScriptedSmtpServer up = peer;
                // Longer than the 2 s retry schedule and a sweep: a queue that was not frozen would have sent by now.
                long quietUntil = System.nanoTime() + Duration.ofSeconds(12).toNanos();
                Await.until(Duration.ofSeconds(20), () -> {
                    assertEquals(0, up.received().size(), "nothing sent from a frozen queue");
                    return System.nanoTime() >= quietUntil;
                }, "a quiet frozen queue");

                jmx.queue(destination).unfreeze();
                Await.until(DEADLINE, () -> up.received().size() >= 6, () -> "six messages after unfreeze; got " + up.received().size());
            }
            List<String> subjects = new ArrayList<>();
            for (Received message : peer.received()) {
                subjects.add(message.header("Subject").orElse("?"));
            }
            assertEquals(6, new HashSet<>(subjects).size(), "each message once: " + subjects);
            assertEquals(6, subjects.size(), "each message once: " + subjects);
        } finally {
            if (peer != null) {
                peer.close();
            }
            stop();
        }
    }

    private static Http.Answer submit(URL submitter, int n) throws IOException, InterruptedException {
        String content = "From: app@example.com\r\nTo: crash@c.example\r\nSubject: crash " + n + "\r\n\r\nmessage " + n + "\r\n";
        return Http.submitRaw(submitter, "app@example.com", content, "crash@c.example");
    }

    private static Set<Integer> delivered(GreenMail peer) {
        return new HashSet<>(deliveredList(peer));
    }

    private static List<Integer> deliveredList(GreenMail peer) {
        List<Integer> numbers = new ArrayList<>();
        for (MimeMessage message : peer.getReceivedMessages()) {
            try {
                numbers.add(Integer.parseInt(message.getSubject().substring("crash ".length())));
            } catch (jakarta.mail.MessagingException e) {
                throw new IllegalStateException(e);
            }
        }
        return numbers;
    }
}
