package dev.outbox.it;

import dev.outbox.management.OutboxMBeans;
import dev.outbox.management.QueueMXBean;
import dev.outbox.management.QueueManagerMXBean;

import javax.management.JMX;
import javax.management.MBeanServerConnection;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A remote JMX session with the test server, as {@code bin/jconsole.sh} opens one: the
 * {@code remote+http} connector of WildFly's {@code bin/client/jboss-client.jar}, on the
 * management port, with no credentials (a client on the same machine is WildFly's
 * {@code $local} user). It owns the connector; {@link #close()} closes it.
 *
 * <p>{@link #connection()} is the plain connection (attributes, MBeanInfo, invoke);
 * {@link #queueManager()} and {@link #queue(String)} are MXBean proxies over it, which rebuild
 * the value classes from the open types the server sends.
 */
final class RemoteJmx implements AutoCloseable {

    static final ObjectName QUEUE_MANAGER = name("outbox:type=QueueManager");

    private final JMXConnector connector;
    private final MBeanServerConnection connection;

    private RemoteJmx(JMXConnector connector) throws IOException {
        this.connector = connector;
        this.connection = connector.getMBeanServerConnection();
    }

    /** Connects to {@code service:jmx:remote+http://127.0.0.1:<it.management.port>}. */
    static RemoteJmx connect() throws IOException {
        int port = Integer.getInteger("it.management.port", 10090);
        JMXServiceURL url = new JMXServiceURL("service:jmx:remote+http://127.0.0.1:" + port);
        return new RemoteJmx(JMXConnectorFactory.connect(url));
    }

    /** The name of the transfer queue for {@code destination} (a domain, or a smarthost's "host:port"), quoted where it needs it. */
    static ObjectName queueName(String destination) {
        return OutboxMBeans.queueName(destination);
    }

    MBeanServerConnection connection() {
        return connection;
    }

    QueueManagerMXBean queueManager() {
        return JMX.newMXBeanProxy(connection, QUEUE_MANAGER, QueueManagerMXBean.class);
    }

    QueueMXBean queue(String destination) {
        return JMX.newMXBeanProxy(connection, queueName(destination), QueueMXBean.class);
    }

    boolean isRegistered(ObjectName name) {
        try {
            return connection.isRegistered(name);
        } catch (IOException e) {
            throw new UncheckedIOException("asking whether " + name + " is registered", e);
        }
    }

    @Override
    public void close() throws IOException {
        connector.close();
    }

    private static ObjectName name(String name) {
        try {
            return new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(name, e);
        }
    }
}
