package dev.outbox.queue;

import dev.outbox.management.OutboxMBeans;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXConnectorServerFactory;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.server.RMIServerSocketFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves what a remote JMX console without Outbox's classes (jconsole, the queue command, any
 * script) sees when an operation fails inside the engine: the reason, in an exception every JVM
 * can read. The queue bean's freeze() on a store that cannot save the frozen destinations (a
 * real journal store whose temporary file cannot be written) lets dev.outbox.store.StoreException
 * escape; the console, a separate JVM with only the JDK, gets an UnmarshalException
 * (ClassNotFoundException) instead of the reason, which a console shows as a broken connection.
 */
class RemoteConsoleFailureTest {

    @TempDir
    Path directory;
    private EngineFixture engine;
    private JMXConnectorServer connectorServer;
    private OutboxMBeans beans;

    private static final String CONSOLE = """
            import javax.management.*;
            import javax.management.remote.*;

            public class Console {
                public static void main(String[] args) throws Exception {
                    try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(args[0]))) {
                        MBeanServerConnection server = connector.getMBeanServerConnection();
                        try {
                            server.invoke(new ObjectName(args[1]), args[2], new Object[0], new String[0]);
                            System.out.println("done");
                        } catch (Exception e) {
                            StringBuilder chain = new StringBuilder();
                            for (Throwable t = e; t != null; t = t.getCause()) {
                                chain.append(t.getClass().getName()).append(": ").append(t.getMessage()).append("\\n");
                            }
                            System.out.print(chain);
                        }
                    }
                }
            }
            """;

    @AfterEach
    void tearDown() throws IOException {
        if (beans != null) {
            beans.close();
        }
        if (connectorServer != null) {
            connectorServer.stop();
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Test
    void aStoreFailureReachesARemoteConsoleAsItsReason() throws Exception {
        Path journal = directory.resolve("journal");
        engine = new EngineFixture(() -> new JournalStore(journal, 1 << 20, Long.MAX_VALUE, 4 << 20));
        ScriptedSmtpServer server = engine.server();
        MailQueue queue = engine.start();
        MBeanServer mbeans = MBeanServerFactory.newMBeanServer();
        beans = OutboxMBeans.start(mbeans, queue, EngineFixture.policy("1m", 1, 100, 8, Duration.ofMinutes(10)), Runnable::run);
        engine.submit("once", "ann@a.example");
        server.awaitReceived(1, EngineFixture.WAIT);
        engine.awaitIdle();
        String destination = EngineFixture.destination(server);
        // The disk refuses the write: the temporary file of the frozen destinations cannot be created.
        Files.createDirectories(journal.resolve("frozen-destinations.tmp"));

        String seen = console(startConnector(mbeans), OutboxMBeans.queueName(destination).toString(), "freeze");

        assertFalse(queue.queue(destination).frozen(), "nothing frozen: the hold was not saved");
        assertFalse(seen.contains("ClassNotFoundException") || seen.contains("UnmarshalException"),
                "a console without Outbox's classes cannot read the failure:\n" + seen);
        assertTrue(seen.contains("cannot save the frozen destinations"), "the reason reaches the console:\n" + seen);
    }

    /** An RMI connector for {@code mbeans} on 127.0.0.1, on a port the system picks; returns its address (the stub inside it). */
    private JMXServiceURL startConnector(MBeanServer mbeans) throws IOException {
        System.setProperty("java.rmi.server.hostname", "127.0.0.1"); // what the stub tells the console to connect to
        Map<String, Object> environment = new HashMap<>();
        environment.put(RMIConnectorServer.RMI_SERVER_SOCKET_FACTORY_ATTRIBUTE, new LoopbackSockets());
        connectorServer = JMXConnectorServerFactory.newJMXConnectorServer(new JMXServiceURL("service:jmx:rmi://127.0.0.1"), environment,
                mbeans);
        connectorServer.start();
        return connectorServer.getAddress();
    }

    /** Runs a console in a JVM of its own, with the JDK only on its class path; returns what it printed. */
    private String console(JMXServiceURL address, String bean, String operation) throws Exception {
        Path source = directory.resolve("Console.java");
        Files.writeString(source, CONSOLE);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(List.of(java.toString(), "-cp", directory.resolve("empty").toString(), source.toString(),
                address.toString(), bean, operation)).redirectErrorStream(true).start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "the console ended");
        String text = new String(output, StandardCharsets.UTF_8);
        assertEquals(0, process.exitValue(), text);
        return text;
    }

    /** Server sockets on the loopback interface only. */
    private static final class LoopbackSockets implements RMIServerSocketFactory {
        @Override
        public ServerSocket createServerSocket(int port) throws IOException {
            return new ServerSocket(port, 50, InetAddress.getLoopbackAddress());
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof LoopbackSockets;
        }

        @Override
        public int hashCode() {
            return LoopbackSockets.class.hashCode();
        }
    }
}
