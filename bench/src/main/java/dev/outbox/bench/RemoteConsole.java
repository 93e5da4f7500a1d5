package dev.outbox.bench;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * An operator's JMX console against the server of the scale lane, over remote JMX as jconsole and
 * {@code bin/outbox-queue} connect ({@code service:jmx:remote+http}, WildFly's
 * {@code bin/client/jboss-client.jar}, no credentials: WildFly lets a client on its own machine
 * in as {@code $local}). It runs in a JVM of its own with only the harness's classes and that jar
 * on its class path, as the queue command does, and knows no Outbox class: it reads the MBeans by
 * name.
 *
 * <p>{@link #settle} waits until {@code outbox:type=QueueManager} counts the expected messages
 * and, when there are any, until their one transfer queue is in {@code RETRY} (its first attempt
 * failed against the closed port, so nothing more happens until the retry time) and returns that
 * queue's state and name. {@link #time} calls {@code listMessages(0, 50)} on that queue's bean and
 * {@code findMessages(query, 0, 50)} on the QueueManager, each {@code calls} times in turn, and
 * returns each call's time as this client sees it (request, the server's work, the reply's open
 * types over the wire) and the messages it gave back.
 *
 * <p>Failures: a console that cannot connect, a count that never comes, or a call that fails
 * throws {@link IllegalStateException} with what the child printed.
 */
final class RemoteConsole {

    /** The page an operator asks for. */
    static final int PAGE = 50;

    private static final ObjectName QUEUE_MANAGER = name("outbox:type=QueueManager");
    private static final ObjectName ALL_QUEUES = name("outbox:type=Queue,*");
    private static final long SETTLE_MILLIS = 120_000;

    /** Where the one queue stood once settled. */
    record Settled(int messageCount, String queue, String state) {
    }

    /** One call: its time in nanoseconds and the messages it returned. */
    record Call(long nanos, int messages) {
    }

    /** The calls of {@link #time}, in the order made. */
    record Calls(List<Call> list, List<Call> find, long connectNanos) {
    }

    private RemoteConsole() {
    }

    static Settled settle(Path jbossHome, String url, int expected) throws IOException, InterruptedException {
        List<String> out = child(jbossHome, url, "settle", Integer.toString(expected));
        for (String line : out) {
            String[] fields = line.split(" ", 4);
            if (fields[0].equals("settled") && fields.length == 4) {
                return new Settled(Integer.parseInt(fields[1]), fields[3], fields[2]);
            }
        }
        throw new IllegalStateException("the JMX console did not settle on " + url + ": " + out);
    }

    static Calls time(Path jbossHome, String url, String query, int calls) throws IOException, InterruptedException {
        List<String> out = child(jbossHome, url, "time", query, Integer.toString(calls));
        List<Call> list = new ArrayList<>();
        List<Call> find = new ArrayList<>();
        long connect = -1;
        for (String line : out) {
            String[] fields = line.split(" ");
            switch (fields[0]) {
                case "connect" -> connect = Long.parseLong(fields[1]);
                case "list" -> list.add(new Call(Long.parseLong(fields[1]), Integer.parseInt(fields[2])));
                case "find" -> find.add(new Call(Long.parseLong(fields[1]), Integer.parseInt(fields[2])));
                default -> {
                    // a line of the connector's own, on standard output
                }
            }
        }
        if (list.size() != calls || find.size() != calls) {
            throw new IllegalStateException("the JMX console made " + list.size() + " listMessages and " + find.size()
                    + " findMessages calls of " + calls + " each on " + url + ": " + out);
        }
        return new Calls(list, find, connect);
    }

    /** Runs {@link #main} in a fresh JVM with the harness's classes and WildFly's client jar; returns what it printed. */
    private static List<String> child(Path jbossHome, String url, String... args) throws IOException, InterruptedException {
        Path client = jbossHome.resolve("bin/client/jboss-client.jar");
        Path classes;
        try {
            classes = Path.of(RemoteConsole.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("cannot tell where the harness's classes are: " + e.getMessage(), e);
        }
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", classes + ":" + client, RemoteConsole.class.getName(), url));
        command.addAll(List.of(args));
        // Its log (the connector's version lines) joins its output: shown only when it fails.
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> output = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) {
                output.add(line);
            }
        }
        int status = process.waitFor();
        if (status != 0) {
            throw new IllegalStateException("the JMX console (" + String.join(" ", args) + ") on " + url + " failed with exit status "
                    + status + ": " + output);
        }
        return output;
    }

    /** Arguments: the JMX URL, then {@code settle EXPECTED} or {@code time QUERY CALLS}. */
    public static void main(String[] args) throws Exception {
        long start = System.nanoTime();
        try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(args[0]), Map.of())) {
            MBeanServerConnection server = connector.getMBeanServerConnection();
            if (args[1].equals("settle")) {
                Settled settled = settle(server, Integer.parseInt(args[2]));
                System.out.println("settled " + settled.messageCount() + " " + settled.state() + " " + settled.queue());
                return;
            }
            System.out.println("connect " + (System.nanoTime() - start));
            ObjectName queue = onlyQueue(server);
            String query = args[2];
            int calls = Integer.parseInt(args[3]);
            for (int i = 0; i < calls; i++) {
                long t = System.nanoTime();
                CompositeData[] page = (CompositeData[]) server.invoke(queue, "listMessages", new Object[] {0, PAGE},
                        new String[] {"int", "int"});
                System.out.println("list " + (System.nanoTime() - t) + " " + page.length);
                t = System.nanoTime();
                page = (CompositeData[]) server.invoke(QUEUE_MANAGER, "findMessages", new Object[] {query, 0, PAGE},
                        new String[] {String.class.getName(), "int", "int"});
                System.out.println("find " + (System.nanoTime() - t) + " " + page.length);
            }
        }
    }

    private static Settled settle(MBeanServerConnection server, int expected) throws Exception {
        long deadline = System.currentTimeMillis() + SETTLE_MILLIS;
        int count = -1;
        String state = "";
        String queue = "";
        while (System.currentTimeMillis() < deadline) {
            count = (Integer) server.getAttribute(QUEUE_MANAGER, "MessageCount");
            if (count == expected && expected == 0) {
                return new Settled(count, "-", "-");
            }
            Set<ObjectName> queues = server.queryNames(ALL_QUEUES, null);
            if (count == expected && queues.size() == 1) {
                ObjectName name = queues.iterator().next();
                queue = name.getKeyProperty("destination");
                state = (String) server.getAttribute(name, "State");
                if (state.equals("RETRY")) {
                    return new Settled(count, queue, state);
                }
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(String.format(Locale.ROOT,
                "within %d s the QueueManager counted %,d messages of %,d, and the queue %s was in state %s, not RETRY",
                SETTLE_MILLIS / 1000, count, expected, queue, state));
    }

    private static ObjectName onlyQueue(MBeanServerConnection server) throws IOException {
        Set<ObjectName> queues = server.queryNames(ALL_QUEUES, null);
        if (queues.size() != 1) {
            throw new IllegalStateException("the server has " + queues.size() + " transfer queues, not one: " + queues);
        }
        return queues.iterator().next();
    }

    private static ObjectName name(String name) {
        try {
            return new ObjectName(name);
        } catch (javax.management.MalformedObjectNameException e) {
            throw new IllegalArgumentException(name, e);
        }
    }
}
