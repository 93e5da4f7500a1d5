package dev.outbox.it;

import dev.outbox.management.MessageSummary;
import dev.outbox.management.QueueMXBean;
import dev.outbox.management.QueueManagerMXBean;
import dev.outbox.testing.Await;
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
import org.junit.jupiter.api.function.Executable;

import javax.management.AttributeChangeNotification;
import javax.management.JMRuntimeException;
import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.Notification;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves README's "Securing the JMX console" on a server of its own: after the CLI lines of
 * {@code jmx-security.cli} (exactly the README's), a remote JMX client on the same machine gets
 * nothing without credentials or with wrong ones; a Monitor reads attributes, calls the INFO
 * operations and receives notifications, but every ACTION operation is refused with
 * WFLYJMX0037; an Operator and an Administrator may do all; an authenticated user with no role
 * may do nothing.
 *
 * <p>The server runs from its own base directory ({@code it.jmx-security.base}, a copy of the
 * unpacked server's {@code standalone/configuration} made by this test), so the users it adds
 * and the configuration it changes never reach the servers of the other tests. Arquillian
 * talks to it as the Administrator {@link #CONTAINER_USER} (arquillian.xml), because once the
 * CLI lines have run a client without credentials is refused.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
class JmxSecurityIT {

    private static final String CONTAINER = "jmx-security";
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    /** As in arquillian.xml's jmx-security container. */
    static final String CONTAINER_USER = "outbox-it-admin";
    static final String CONTAINER_PASSWORD = "Admin-pass-1!";
    private static final String MONITOR = "outbox-it-monitor";
    private static final String MONITOR_PASSWORD = "Monitor-pass-1!";
    private static final String OPERATOR = "outbox-it-operator";
    private static final String OPERATOR_PASSWORD = "Operator-pass-1!";
    private static final String NOBODY = "outbox-it-nobody";
    private static final String NOBODY_PASSWORD = "Nobody-pass-1!";

    /** The transfer queue of the smarthost the build gives WildFly; nothing listens there in this test. */
    private final String destination = "127.0.0.1:" + TestSmtp.setup().getPort();
    private final int managementPort = Integer.getInteger("it.management.port", 10090);

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
    void onlyTheRightCredentialsGetInAndEachRoleDoesItsPart() throws Exception {
        OwnServer server = new OwnServer(Path.of(System.getProperty("it.jmx-security.base")));
        server.prepare();
        server.addManagementUser(CONTAINER_USER, CONTAINER_PASSWORD, "outbox-admins");
        server.addManagementUser(OPERATOR, OPERATOR_PASSWORD, "outbox-operators");
        server.addManagementUser(MONITOR, MONITOR_PASSWORD, "outbox-monitors");
        server.addManagementUser(NOBODY, NOBODY_PASSWORD, null);

        controller.start(CONTAINER);
        try {
            deployer.deploy("outbox");
            deployer.deploy("submitter");
            try (JMXConnector local = connect(null, null)) {
                assertTrue(local.getMBeanServerConnection().getAttribute(RemoteJmx.QUEUE_MANAGER, "Queued") instanceof Long,
                        "before the CLI lines, a client on this machine gets in without credentials ($local)");
            }

            server.runCliScript("jmx-security.cli", CONTAINER_USER, CONTAINER_PASSWORD);

            assertRefused(null, null);
            assertRefused(CONTAINER_USER, "wrong-password");
            assertRefused("no-such-user", CONTAINER_PASSWORD);

            AtomicReference<String> lastAnswer = new AtomicReference<>("none");
            Await.until(DEADLINE, () -> {
                try {
                    Http.Answer answer = submitHeld();
                    lastAnswer.set(answer.status() + " " + answer.body());
                    return answer.status() == 200;
                } catch (IOException e) {
                    lastAnswer.set(e.toString());
                    return false; // the reload may still be restarting the deployments
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }, () -> "a message submitted after the reload; the last answer: " + lastAnswer.get());

            try (JMXConnector monitor = connect(MONITOR, MONITOR_PASSWORD);
                 JMXConnector operator = connect(OPERATOR, OPERATOR_PASSWORD);
                 JMXConnector admin = connect(CONTAINER_USER, CONTAINER_PASSWORD);
                 JMXConnector nobody = connect(NOBODY, NOBODY_PASSWORD)) {
                MBeanServerConnection monitorConnection = monitor.getMBeanServerConnection();
                Await.until(DEADLINE, () -> isRegistered(monitorConnection, RemoteJmx.queueName(destination)), "the queue's bean");
                // Outbox delivers once its retry clock works (a few seconds after deployment): then the held queue is in RETRY.
                QueueMXBean held = JMX.newMXBeanProxy(monitorConnection, RemoteJmx.queueName(destination), QueueMXBean.class);
                Await.until(DEADLINE, () -> "RETRY".equals(held.getState()), () -> "the held queue in RETRY; it is " + held.getState());
                List<Notification> monitorSaw = new ArrayList<>();
                monitorConnection.addNotificationListener(RemoteJmx.QUEUE_MANAGER, (notification, handback) -> {
                    synchronized (monitorSaw) {
                        monitorSaw.add(notification);
                    }
                }, null, null);

                monitorReadsButMayNotAct(monitorConnection);
                nobodyMayDoNothing(nobody.getMBeanServerConnection());
                mayDoEverything(operator.getMBeanServerConnection(), monitorSaw);
                mayDoEverything(admin.getMBeanServerConnection(), null);
            }
        } finally {
            try {
                deployer.undeploy("submitter");
                deployer.undeploy("outbox");
            } finally {
                controller.stop(CONTAINER);
            }
        }
    }

    private void monitorReadsButMayNotAct(MBeanServerConnection connection) {
        QueueManagerMXBean manager = JMX.newMXBeanProxy(connection, RemoteJmx.QUEUE_MANAGER, QueueManagerMXBean.class);
        QueueMXBean queue = JMX.newMXBeanProxy(connection, RemoteJmx.queueName(destination), QueueMXBean.class);
        assertTrue(manager.getQueued() >= 1, "Monitor reads the QueueManager's attributes");
        assertEquals("RETRY", queue.getState(), "Monitor reads the queue's attributes");
        MessageSummary[] found = manager.findMessages("held@s.example", 0, 10);
        assertTrue(found.length >= 1, "Monitor calls findMessages (INFO)");
        String id = found[0].getId();
        assertEquals(id, manager.getMessage(id).getId(), "Monitor calls getMessage (INFO)");
        assertTrue(queue.listMessages(0, 10).length >= 1, "Monitor calls listMessages (INFO)");

        assertUnauthorized(queue::freeze, "Monitor: Queue.freeze()");
        assertUnauthorized(queue::unfreeze, "Monitor: Queue.unfreeze()");
        assertUnauthorized(() -> queue.retryNow(), "Monitor: Queue.retryNow()");
        assertUnauthorized(() -> queue.deleteAll(false), "Monitor: Queue.deleteAll()");
        assertUnauthorized(manager::pause, "Monitor: QueueManager.pause()");
        assertUnauthorized(() -> manager.freezeMessage(id), "Monitor: QueueManager.freezeMessage()");
        assertUnauthorized(() -> manager.deleteMessage(id, false), "Monitor: QueueManager.deleteMessage()");
        assertEquals(id, manager.getMessage(id).getId(), "the refused delete left the message");
    }

    private static void nobodyMayDoNothing(MBeanServerConnection connection) {
        assertUnauthorized(() -> connection.getAttribute(RemoteJmx.QUEUE_MANAGER, "Queued"), "a user with no role: read an attribute");
        assertUnauthorized(() -> connection.invoke(RemoteJmx.QUEUE_MANAGER, "findMessages", new Object[] {"", 0, 1},
                new String[] {"java.lang.String", "int", "int"}), "a user with no role: findMessages");
    }

    /** Freezes and unfreezes the queue, freezes, unfreezes and deletes a message; {@code watcher} (if any) must see the freeze. */
    private void mayDoEverything(MBeanServerConnection connection, List<Notification> watcher) throws Exception {
        QueueManagerMXBean manager = JMX.newMXBeanProxy(connection, RemoteJmx.QUEUE_MANAGER, QueueManagerMXBean.class);
        QueueMXBean queue = JMX.newMXBeanProxy(connection, RemoteJmx.queueName(destination), QueueMXBean.class);
        queue.freeze();
        assertEquals("FROZEN", queue.getState());
        if (watcher != null) {
            // The QueueManager tells state changes at its next sweep (every 10 s).
            Await.until(DEADLINE, () -> {
                synchronized (watcher) {
                    return watcher.stream().anyMatch(n -> n instanceof AttributeChangeNotification change
                            && "State".equals(change.getAttributeName()) && "FROZEN".equals(change.getNewValue())
                            && RemoteJmx.queueName(destination).equals(change.getSource()));
                }
            }, () -> "the Monitor's remote listener got the queue's State change to FROZEN; it got " + watcher);
        }
        queue.unfreeze();
        String id = manager.findMessages("held@s.example", 0, 1)[0].getId();
        assertEquals(1, manager.freezeMessage(id));
        assertEquals(1, manager.unfreezeMessage(id));
        manager.pause();
        manager.resume();
        assertEquals(1, manager.deleteMessage(id, false));
        assertEquals(200, submitHeld().status(), "a message for the next role");
    }

    /** Submits a message to held@s.example, which waits in the queue: nothing listens at the smarthost. */
    private static Http.Answer submitHeld() throws IOException, InterruptedException {
        URL submitter = new URL("http://127.0.0.1:" + (8080 + Integer.getInteger("it.port.offset", 100)) + "/submitter/");
        String content = "From: app@example.com\r\nTo: held@s.example\r\nSubject: jmx security\r\n\r\nheld\r\n";
        return Http.submitRaw(submitter, "app@example.com", content, "held@s.example");
    }

    private static void assertUnauthorized(Executable call, String what) {
        JMRuntimeException refused = assertThrows(JMRuntimeException.class, call, what + " must be refused");
        assertTrue(String.valueOf(refused.getMessage()).contains("WFLYJMX0037"), what + ": " + refused);
    }

    private void assertRefused(String user, String password) {
        IOException refused = assertThrows(IOException.class, () -> connect(user, password).close(),
                "a remote JMX client with " + (user == null ? "no credentials" : user + "/" + password) + " must be refused");
        assertTrue(String.valueOf(refused.getMessage()).contains("Authentication failed"), refused.toString());
    }

    private JMXConnector connect(String user, String password) throws IOException {
        Map<String, Object> environment = new HashMap<>();
        if (user != null) {
            environment.put(JMXConnector.CREDENTIALS, new String[] {user, password});
        }
        return JMXConnectorFactory.connect(new JMXServiceURL("service:jmx:remote+http://127.0.0.1:" + managementPort), environment);
    }

    private static boolean isRegistered(MBeanServerConnection connection, ObjectName name) {
        try {
            return connection.isRegistered(name);
        } catch (IOException e) {
            return false;
        }
    }
}
