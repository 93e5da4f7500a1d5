package dev.outbox.it;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.outbox.management.MessageDetail;
import dev.outbox.management.QueueMXBean;
import dev.outbox.management.RecipientDetail;
import dev.outbox.testing.Await;
import dev.outbox.testing.TestCertificate;
import dev.outbox.testing.dns.TestDns;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
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

import javax.management.JMException;
import javax.management.ObjectName;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The delivery routes in a real WildFly, each on a server of its own (failsafe's routing
 * execution, which gives WildFly no {@code OUTBOX_SMARTHOST}) that the test configures with
 * system properties before it deploys Outbox, as README's CLI lines do.
 *
 * <p>Routing by MX, against a DNS server in the test JVM ({@link TestDns} on 127.0.0.1, named to
 * Outbox with {@code outbox.dns-servers}) and GreenMail servers on loopback addresses that stand
 * for MX hosts, all on one port ({@code outbox.smtp-port}): one message whose recipients span
 * four domains gets one outcome each — delivered at live.example, delivered at fallback.example
 * through its second MX host after the first refused, bounced at once for the null MX of
 * nullmx.example (556 5.1.10), held for dead.example, whose queue is in RETRY while the others go
 * on — and dead.example's recipient is delivered at its retry once its host comes up. Each
 * domain has its own Queue MBean, named by the domain.
 *
 * <p>A smarthost with TLS and AUTH (README's "TLS" and "Authenticating to a smarthost"): the
 * scripted SMTP server in the test JVM offers STARTTLS with a certificate for 127.0.0.1 and AUTH;
 * Outbox has {@code outbox.tls=required}, that certificate as its trust store, a username, and
 * the password in a file only the server's user may read. The smarthost first refuses the
 * password (535): the queue is in RETRY with a reason that names the user, and the password
 * appears nowhere in the server log, in any form AUTH sends it. Once the smarthost accepts it,
 * {@code retryNow()} delivers the message over verified TLS.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class DeliveryRoutesIT {

    private static final String CONTAINER = "routing";
    private static final Duration DEADLINE = Duration.ofSeconds(30);
    private static final String USER = "outbox-relay";
    private static final String PASSWORD = "Relay-secret-7-correct-horse";

    private final OwnServer server = new OwnServer(Path.of(System.getProperty("it.routing.base", "target/routing-server")));

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
    void routedByMxEachDomainIsAQueueAndEachRecipientGetsItsOwnOutcome() throws Exception {
        int port = freePortOn("127.0.0.2");
        GreenMail live = new GreenMail(new ServerSetup(port, "127.0.0.2", ServerSetup.PROTOCOL_SMTP));
        GreenMail second = new GreenMail(new ServerSetup(port, "127.0.0.4", ServerSetup.PROTOCOL_SMTP));
        GreenMail dead = new GreenMail(new ServerSetup(port, "127.0.0.3", ServerSetup.PROTOCOL_SMTP));
        try (TestDns dns = TestDns.start()) {
            dns.mx("live.example", 10, "mx.live.example").a("mx.live.example", "127.0.0.2");
            dns.mx("dead.example", 10, "mx.dead.example").a("mx.dead.example", "127.0.0.3");
            dns.mx("fallback.example", 10, "mx1.fallback.example").a("mx1.fallback.example", "127.0.0.3")
                    .mx("fallback.example", 20, "mx2.fallback.example").a("mx2.fallback.example", "127.0.0.4");
            dns.nullMx("nullmx.example");
            live.start();
            second.start();

            server.prepare();
            controller.start(CONTAINER);
            try {
                // Read when the adapter starts: set before Outbox is deployed.
                server.runCli("--command=/system-property=outbox.dns-servers:add(value=\"" + dns.server() + "\")", null, null);
                server.runCli("--command=/system-property=outbox.smtp-port:add(value=" + port + ")", null, null);
                deployer.deploy("outbox");
                deployer.deploy("submitter");
                assertTrue(serverLog().contains("routing by MX (no smarthost set), DNS [" + dns.server() + "]"), "the start-up line says how Outbox routes");

                URL submitter = new URL("http://127.0.0.1:" + server.httpPort() + "/submitter/");
                String content = "From: app@example.com\r\nTo: four domains\r\nSubject: routed by MX\r\n\r\nRouted by MX.\r\n";
                Http.Answer answer = Http.submitRaw(submitter, "app@example.com", content,
                        "a@live.example", "b@dead.example", "c@fallback.example", "d@nullmx.example");
                assertEquals(200, answer.status(), answer.body());
                String id = answer.body().strip().substring("id=".length());

                try (RemoteJmx jmx = RemoteJmx.connect()) {
                    Await.until(DEADLINE, () -> live.getReceivedMessages().length == 1 && second.getReceivedMessages().length == 1
                                    && "RETRY".equals(stateOf(jmx, "dead.example")),
                            () -> "live.example and fallback.example delivered, dead.example in RETRY; queues " + queues(jmx));
                    assertEquals(1L, copiesFor(live, "a@live.example"), "a@live.example at live.example's MX host");
                    assertEquals(1L, copiesFor(second, "c@fallback.example"), "c@fallback.example at the second MX host");

                    Map<String, RecipientDetail> recipients = recipients(jmx.queueManager().getMessage(id));
                    assertEquals("DELIVERED", recipients.get("a@live.example").getState());
                    assertEquals("DELIVERED", recipients.get("c@fallback.example").getState());
                    assertEquals("BOUNCED", recipients.get("d@nullmx.example").getState());
                    assertTrue(recipients.get("d@nullmx.example").getLastReply().startsWith("556 5.1.10 nullmx.example accepts no mail"),
                            recipients.get("d@nullmx.example").getLastReply());
                    assertEquals("QUEUED", recipients.get("b@dead.example").getState(), "held, due at its queue's retry");
                    assertTrue(jmx.queue("dead.example").getLastError().contains("mx.dead.example"), jmx.queue("dead.example").getLastError());
                    assertEquals("dead.example", jmx.queue("dead.example").getDestination());

                    dead.start();
                    Await.until(DEADLINE, () -> dead.getReceivedMessages().length == 1,
                            () -> "dead.example's recipient delivered at its retry once its host is up; queues " + queues(jmx));
                    assertEquals(1L, copiesFor(dead, "b@dead.example"), "b@dead.example at dead.example's MX host");
                    Await.until(DEADLINE, () -> jmx.queueManager().findMessages(id, 0, 1).length == 0, "the message finished");
                }
            } finally {
                undeployAndStop();
            }
        } finally {
            live.stop();
            second.stop();
            dead.stop();
        }
    }

    @Test
    void aRefusedLoginLeavesNoPasswordInTheLogAndTheRightOneDeliversOverVerifiedTls() throws Exception {
        server.prepare();
        Path keys = Files.createDirectories(server.base().resolve("test-keys"));
        TestCertificate certificate = TestCertificate.generate(keys, "127.0.0.1", "ip:127.0.0.1");
        Path trustStore = certificate.writePem(keys.resolve("smarthost.pem"));
        Path passwordFile = keys.resolve("smarthost-password");
        Files.writeString(passwordFile, PASSWORD + "\n", StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(passwordFile, PosixFilePermissions.fromString("rw-------"));

        try (ScriptedSmtpServer relay = ScriptedSmtpServer.start()) {
            relay.starttls(certificate.serverContext()).auth(USER, "not " + PASSWORD);
            String destination = relay.host() + ":" + relay.port();
            controller.start(CONTAINER);
            try {
                // Read when the adapter starts: set before Outbox is deployed, as README's CLI lines do.
                setProperty("outbox.smarthost", destination);
                setProperty("outbox.tls", "required");
                setProperty("outbox.smarthost-trust-store", trustStore.toString());
                setProperty("outbox.smarthost-username", USER);
                setProperty("outbox.smarthost-password-file", passwordFile.toString());
                deployer.deploy("outbox");
                deployer.deploy("submitter");

                URL submitter = new URL("http://127.0.0.1:" + server.httpPort() + "/submitter/");
                String content = "From: app@example.com\r\nTo: ann@example.org\r\nSubject: relayed\r\n\r\nThrough the smarthost.\r\n";
                Http.Answer answer = Http.submitRaw(submitter, "app@example.com", content, "ann@example.org");
                assertEquals(200, answer.status(), answer.body());

                try (RemoteJmx jmx = RemoteJmx.connect()) {
                    Await.until(DEADLINE, () -> jmx.isRegistered(RemoteJmx.queueName(destination))
                            && "RETRY".equals(jmx.queue(destination).getState()), "the queue in RETRY after the refused login");
                    QueueMXBean queue = jmx.queue(destination);
                    assertTrue(queue.getLastError().contains("refused AUTH for user \"" + USER + "\": 535"), queue.getLastError());
                    assertTrue(relay.count(Command.STARTTLS) >= 1, "AUTH came only after STARTTLS");
                    String log = Files.readString(server.base().resolve("log/server.log"), StandardCharsets.UTF_8);
                    assertTrue(log.contains("AUTH as \"" + USER + "\""), "the start-up line names the user");
                    assertNoPassword(log);
                    assertNoPassword(queue.getLastError());

                    relay.auth(USER, PASSWORD);
                    queue.retryNow();
                    relay.awaitReceived(1, DEADLINE);
                    assertEquals("ann@example.org", relay.received().get(0).recipients().get(0));
                    Await.until(DEADLINE, () -> jmx.queueManager().getMessageCount() == 0, "the message finished");
                }
                assertNoPassword(Files.readString(server.base().resolve("log/server.log"), StandardCharsets.UTF_8));
            } finally {
                undeployAndStop();
            }
        }
    }

    private static String stateOf(RemoteJmx jmx, String destination) {
        return jmx.isRegistered(RemoteJmx.queueName(destination)) ? jmx.queue(destination).getState() : "none";
    }

    /** Each queue's destination and state, for a failure's message. */
    private static String queues(RemoteJmx jmx) {
        try {
            StringBuilder all = new StringBuilder();
            for (ObjectName name : jmx.connection().queryNames(new ObjectName("outbox:type=Queue,*"), null)) {
                all.append(jmx.connection().getAttribute(name, "Destination")).append('=')
                        .append(jmx.connection().getAttribute(name, "State")).append(' ');
            }
            return all.toString();
        } catch (IOException | JMException e) {
            return e.toString();
        }
    }

    /** Copies {@code server} delivered to the mailbox of envelope recipient {@code recipient}. */
    private static long copiesFor(GreenMail server, String recipient) {
        return server.findReceivedMessages(user -> user.getEmail().equalsIgnoreCase(recipient), message -> true).count();
    }

    private static Map<String, RecipientDetail> recipients(MessageDetail message) {
        return Arrays.stream(message.getRecipients()).collect(Collectors.toMap(RecipientDetail::getAddress, Function.identity()));
    }

    private String serverLog() throws IOException {
        return Files.readString(server.base().resolve("log/server.log"), StandardCharsets.UTF_8);
    }

    private static int freePortOn(String address) throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(address))) {
            return socket.getLocalPort();
        }
    }

    private void undeployAndStop() {
        try {
            deployer.undeploy("submitter");
            deployer.undeploy("outbox");
        } finally {
            controller.stop(CONTAINER);
        }
    }

    private void setProperty(String name, String value) throws Exception {
        server.runCli("--command=/system-property=" + name + ":add(value=\"" + value + "\")", null, null);
    }

    /** Neither the password nor the base64 forms AUTH PLAIN and AUTH LOGIN send it in. */
    private static void assertNoPassword(String text) {
        Base64.Encoder base64 = Base64.getEncoder();
        for (String form : new String[] {PASSWORD, base64.encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8)),
                base64.encodeToString(("\0" + USER + "\0" + PASSWORD).getBytes(StandardCharsets.UTF_8))}) {
            assertFalse(text.contains(form), "the password, as " + form + ", must not appear");
        }
    }
}
