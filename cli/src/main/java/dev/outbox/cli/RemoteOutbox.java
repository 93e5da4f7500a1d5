package dev.outbox.cli;

import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanServerConnection;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A remote JMX session with one server's Outbox: it owns the connector, reads the MBeans
 * {@code outbox:type=QueueManager} and {@code outbox:type=Queue,destination=...} by attribute and
 * operation name, and turns their open types (CompositeData) into the command's values. It knows
 * no Outbox class, so it works against any Outbox whose MBeans keep the names in DESIGN.md.
 *
 * <p>Operations: {@link #connect} (fails unless the server answers, lets the user in and has
 * Outbox deployed), then any number of reads and operations, each one or a few JMX calls, then
 * {@link #close}. A destination is the queue's {@code destination} key as the queues command
 * prints it, quoted in the ObjectName or not.
 *
 * <p>Every failure is a {@link CommandFailure} classified by {@link Failures}: the server's
 * IllegalArgumentException (an unknown id) is NOT_FOUND with the server's message, as is a
 * destination with no queue; a lost connection is UNREACHABLE. Threading: one thread at a time.
 */
final class RemoteOutbox implements AutoCloseable {

    static final ObjectName QUEUE_MANAGER = name("outbox:type=QueueManager");
    static final ObjectName ALL_QUEUES = name("outbox:type=Queue,*");
    /** jboss-remoting-jmx's connect timeout in seconds, from the connector's environment. */
    static final String REMOTING_TIMEOUT = "org.jboss.remoting-jmx.timeout";

    private static final String[] QUEUE_ATTRIBUTES = {"Destination", "State", "MessageCount", "SizeBytes", "OldestMessageAgeSeconds",
            "NextRetryTime", "LastAttemptTime", "LastError", "ConsecutiveFailures", "ActiveConnections"};
    private static final String[] MANAGER_ATTRIBUTES = {"Paused", "MessageCount", "StoreSizeBytes", "Queued", "InFlight", "Deferred",
            "Frozen", "OverdueRecipients", "Delivered", "Bounced", "Expired", "Deleted", "Deferrals", "StuckRecovered", "BounceNotices",
            "DelayNotices", "NoticesWithheld", "RetrySchedule", "MaxMessageAge"};
    private static final String STRING = String.class.getName();

    private final Server server;
    private final JMXConnector connector;
    private final MBeanServerConnection connection;

    private RemoteOutbox(Server server, JMXConnector connector, MBeanServerConnection connection) {
        this.server = server;
        this.connector = connector;
        this.connection = connection;
    }

    /**
     * Connects to {@code server} and checks that Outbox is there.
     *
     * @throws CommandFailure USAGE without WildFly's client jar; UNREACHABLE, AUTHENTICATION or
     *                        NOT_DEPLOYED as the server answers
     */
    static RemoteOutbox connect(Server server) {
        Failures.requireRemotingConnector();
        Map<String, Object> environment = new HashMap<>();
        environment.put(REMOTING_TIMEOUT, server.timeoutSeconds());
        if (server.user() != null) {
            environment.put(JMXConnector.CREDENTIALS, new String[] {server.user(), server.password() == null ? "" : server.password()});
        }
        JMXConnector connector;
        MBeanServerConnection connection;
        try {
            connector = JMXConnectorFactory.connect(server.url(), environment);
        } catch (IOException | RuntimeException e) {
            throw Failures.connecting(server, e);
        }
        try {
            connection = connector.getMBeanServerConnection();
            if (!connection.isRegistered(QUEUE_MANAGER)) {
                throw new CommandFailure(ExitCode.NOT_DEPLOYED, "WildFly at " + server.url() + " answers, but Outbox is not deployed there:"
                        + " it has no MBean " + QUEUE_MANAGER + " (deploy outbox.ear and look for errors in the server log)");
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(connector);
            throw e instanceof CommandFailure failure ? failure : Failures.connecting(server, e);
        }
        return new RemoteOutbox(server, connector, connection);
    }

    /** Every transfer queue, by destination. */
    List<QueueSummary> queues() {
        List<QueueSummary> queues = new ArrayList<>();
        for (ObjectName name : call("listing the queues", () -> connection.queryNames(ALL_QUEUES, null))) {
            try {
                queues.add(queue(name));
            } catch (CommandFailure gone) {
                if (gone.code() != ExitCode.NOT_FOUND) {
                    throw gone;
                } // unregistered since the query: it was empty and idle
            }
        }
        queues.sort(Comparator.comparing(QueueSummary::destination));
        return queues;
    }

    /** The queue of {@code destination}; NOT_FOUND when there is none. */
    QueueSummary queue(String destination) {
        return queue(queueName(destination));
    }

    List<MessageSummary> listMessages(String destination, int offset, int limit) {
        CompositeData[] page = (CompositeData[]) invoke(queueName(destination), "listMessages", new Object[] {offset, limit},
                new String[] {"int", "int"});
        return summaries(page);
    }

    List<MessageSummary> findMessages(String query, int offset, int limit) {
        CompositeData[] page = (CompositeData[]) invoke(QUEUE_MANAGER, "findMessages", new Object[] {query, offset, limit},
                new String[] {STRING, "int", "int"});
        return summaries(page);
    }

    MessageDetail message(String id) {
        CompositeData detail = (CompositeData) invoke(QUEUE_MANAGER, "getMessage", new Object[] {id}, new String[] {STRING});
        List<MessageDetail.Recipient> recipients = new ArrayList<>();
        Object items = detail.containsKey("recipients") ? detail.get("recipients") : null;
        if (items instanceof CompositeData[] all) {
            for (CompositeData r : all) {
                recipients.add(new MessageDetail.Recipient(text(r, "address"), text(r, "destination"), text(r, "state"), text(r, "dueTime"),
                        (int) number(r, "attempts"), text(r, "lastReply")));
            }
        }
        return new MessageDetail(text(detail, "id"), text(detail, "sender"), text(detail, "submitTime"), text(detail, "expiryTime"),
                (int) number(detail, "sizeBytes"), text(detail, "headers"), recipients);
    }

    /** Calls {@code operation(id)} on the QueueManager (freezeMessage, unfreezeMessage, resubmitMessage); returns its count. */
    int onMessage(String operation, String id) {
        return (Integer) invoke(QUEUE_MANAGER, operation, new Object[] {id}, new String[] {STRING});
    }

    int deleteMessage(String id, boolean withNdr) {
        return (Integer) invoke(QUEUE_MANAGER, "deleteMessage", new Object[] {id, withNdr}, new String[] {STRING, "boolean"});
    }

    /** Calls {@code operation()} on the queue of {@code destination} (freeze, unfreeze: void; retryNow: a count). */
    Object onQueue(String operation, String destination) {
        return invoke(queueName(destination), operation, new Object[0], new String[0]);
    }

    int deleteAll(String destination, boolean withNdr) {
        return (Integer) invoke(queueName(destination), "deleteAll", new Object[] {withNdr}, new String[] {"boolean"});
    }

    /** Calls {@code operation()} on the QueueManager (pause, resume: void; retryAll: a count). */
    Object onManager(String operation) {
        return invoke(QUEUE_MANAGER, operation, new Object[0], new String[0]);
    }

    ManagerStatus status() {
        Map<String, Object> a = attributes(QUEUE_MANAGER, MANAGER_ATTRIBUTES);
        return new ManagerStatus(Boolean.TRUE.equals(a.get("Paused")), (int) number(a, "MessageCount"), number(a, "StoreSizeBytes"),
                number(a, "Queued"), number(a, "InFlight"), number(a, "Deferred"), number(a, "Frozen"), (int) number(a, "OverdueRecipients"),
                number(a, "Delivered"), number(a, "Bounced"), number(a, "Expired"), number(a, "Deleted"), number(a, "Deferrals"),
                number(a, "StuckRecovered"), number(a, "BounceNotices"), number(a, "DelayNotices"), number(a, "NoticesWithheld"),
                text(a, "RetrySchedule"), text(a, "MaxMessageAge"));
    }

    @Override
    public void close() {
        closeQuietly(connector);
    }

    private QueueSummary queue(ObjectName name) {
        Map<String, Object> a = attributes(name, QUEUE_ATTRIBUTES);
        String destination = a.containsKey("Destination") ? text(a, "Destination") : destinationOf(name);
        return new QueueSummary(destination, text(a, "State"), (int) number(a, "MessageCount"), number(a, "SizeBytes"),
                number(a, "OldestMessageAgeSeconds"), text(a, "NextRetryTime"), text(a, "LastAttemptTime"), text(a, "LastError"),
                (int) number(a, "ConsecutiveFailures"), (int) number(a, "ActiveConnections"));
    }

    /** The registered name of the queue of {@code destination}, found by its key, quoted or not. */
    private ObjectName queueName(String destination) {
        Map<String, ObjectName> byDestination = new TreeMap<>();
        for (ObjectName name : call("listing the queues", () -> connection.queryNames(ALL_QUEUES, null))) {
            byDestination.put(destinationOf(name), name);
        }
        ObjectName name = byDestination.get(destination);
        if (name == null) {
            throw new CommandFailure(ExitCode.NOT_FOUND, "there is no transfer queue \"" + destination + "\"; queues: " + byDestination.keySet()
                    + " (a queue appears with its first message and goes after ten minutes empty)");
        }
        return name;
    }

    private Map<String, Object> attributes(ObjectName name, String[] names) {
        AttributeList list = call("reading " + name, () -> connection.getAttributes(name, names), name);
        Map<String, Object> values = new HashMap<>();
        for (Attribute attribute : list.asList()) {
            values.put(attribute.getName(), attribute.getValue());
        }
        return values;
    }

    private Object invoke(ObjectName name, String operation, Object[] parameters, String[] signature) {
        return call(operation + " on " + name, () -> connection.invoke(name, operation, parameters, signature), name);
    }

    private static List<MessageSummary> summaries(CompositeData[] page) {
        List<MessageSummary> summaries = new ArrayList<>();
        if (page != null) {
            for (CompositeData m : page) {
                summaries.add(new MessageSummary(text(m, "id"), text(m, "sender"), text(m, "submitTime"), (int) number(m, "sizeBytes"),
                        (int) number(m, "recipients"), (int) number(m, "unfinished"), text(m, "states"), text(m, "nextRetryTime")));
            }
        }
        return summaries;
    }

    private interface JmxCall<T> {
        T run() throws IOException, JMException;
    }

    private <T> T call(String what, JmxCall<T> call) {
        return call(what, call, null);
    }

    /** Runs one JMX call; its failures become CommandFailures, an MBean that is gone among them. */
    private <T> T call(String what, JmxCall<T> call, ObjectName target) {
        try {
            return call.run();
        } catch (InstanceNotFoundException e) {
            throw gone(target, e);
        } catch (IOException | JMException | RuntimeException e) {
            throw Failures.calling(server, what, e);
        }
    }

    /** A missing MBean: Outbox undeployed if it is the QueueManager, else a queue that went away. */
    private CommandFailure gone(ObjectName target, InstanceNotFoundException e) {
        if (target == null || QUEUE_MANAGER.equals(target) || !isRegistered(QUEUE_MANAGER)) {
            return new CommandFailure(ExitCode.NOT_DEPLOYED, "Outbox is no longer deployed at " + server.url() + ": " + QUEUE_MANAGER
                    + " is gone", e);
        }
        return new CommandFailure(ExitCode.NOT_FOUND, "there is no transfer queue \"" + destinationOf(target)
                + "\" any more (a queue goes after ten minutes empty)", e);
    }

    private boolean isRegistered(ObjectName name) {
        try {
            return connection.isRegistered(name);
        } catch (IOException e) {
            throw Failures.calling(server, "asking for " + name, e);
        }
    }

    static String destinationOf(ObjectName name) {
        String value = name.getKeyProperty("destination");
        if (value == null) {
            return "";
        }
        return value.startsWith("\"") ? ObjectName.unquote(value) : value;
    }

    private static String text(CompositeData data, String item) {
        return data.containsKey(item) && data.get(item) != null ? data.get(item).toString() : "";
    }

    private static long number(CompositeData data, String item) {
        return data.containsKey(item) && data.get(item) instanceof Number n ? n.longValue() : 0;
    }

    private static String text(Map<String, Object> values, String name) {
        Object value = values.get(name);
        return value == null ? "" : value.toString();
    }

    private static long number(Map<String, Object> values, String name) {
        return values.get(name) instanceof Number n ? n.longValue() : 0;
    }

    private static void closeQuietly(JMXConnector connector) {
        try {
            connector.close();
        } catch (IOException | RuntimeException e) {
            // the command has its answer or its failure already; a connector that does not close cleanly changes neither
        }
    }

    private static ObjectName name(String name) {
        try {
            return new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new ExceptionInInitializerError(e);
        }
    }
}
