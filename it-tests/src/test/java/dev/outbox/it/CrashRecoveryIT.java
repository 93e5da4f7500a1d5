package dev.outbox.it;

import com.icegreen.greenmail.util.GreenMail;
import dev.outbox.testing.Await;
import jakarta.mail.internet.MimeMessage;
import org.jboss.arquillian.container.test.api.ContainerController;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.EnterpriseArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that nothing accepted is lost to kill -9: messages submitted while the SMTP peer is
 * down (some of them while the server is being killed) are all delivered, once each, after
 * the server starts again and the peer comes back, with no operator action.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class CrashRecoveryIT {

    private static final String CONTAINER = "crash";
    private static final Duration DEADLINE = Duration.ofSeconds(60);

    @Deployment(name = "outbox", order = 1, managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static EnterpriseArchive outbox() {
        return Deployments.outboxEar();
    }

    @Deployment(name = "submitter", order = 2, managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static WebArchive submitter() {
        return Deployments.submitterWar();
    }

    @ArquillianResource
    ContainerController controller;

    @ArquillianResource
    Deployer deployer;

    @Test
    void everyAcknowledgedMessageIsDeliveredAfterKillDashNine() throws Exception {
        Path jbossHome = Path.of(System.getProperty("jboss.home"));
        deleteTree(jbossHome.resolve("standalone/data/outbox")); // a store of this test's own
        controller.start(CONTAINER);
        deployer.deploy("outbox");
        deployer.deploy("submitter");
        URL submitter = new URL("http://127.0.0.1:" + (8080 + Integer.getInteger("it.port.offset", 100)) + "/submitter/");

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
        killServer(jbossHome);
        killed.set(true);
        submitting.join(30_000);
        controller.kill(CONTAINER); // tells Arquillian the process is gone
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
            deployer.undeploy("submitter");
            deployer.undeploy("outbox");
            controller.stop(CONTAINER);
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

    /** kill -9 of the WildFly process that runs from {@code jbossHome}. */
    private static void killServer(Path jbossHome) {
        String home = "-Djboss.home.dir=" + jbossHome;
        List<ProcessHandle> servers = ProcessHandle.allProcesses()
                .filter(p -> p.info().arguments().map(args -> List.of(args).contains(home)).orElse(false))
                .toList();
        assertEquals(1, servers.size(), "exactly one WildFly runs from " + jbossHome);
        ProcessHandle server = servers.get(0);
        assertTrue(server.destroyForcibly(), "SIGKILL sent");
        server.onExit().join();
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
