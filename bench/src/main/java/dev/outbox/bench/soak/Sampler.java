package dev.outbox.bench.soak;

import javax.management.AttributeList;
import javax.management.MBeanServerConnection;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * Reads Outbox's MBeans over remote JMX every second while the server runs (from the moment it
 * is started, so the seconds while it boots are read too, once Outbox's MBeans are there), as an operator's
 * console would ({@code service:jmx:remote+http} on the management port, WildFly's
 * {@code bin/client/jboss-client.jar} on the class path, no credentials: WildFly's
 * {@code $local}): {@code outbox:type=QueueManager} and the state of every
 * {@code outbox:type=Queue}. It keeps the largest {@code OverdueRecipients} seen and when it was
 * above 0 (with the queues' states then), and, per life of the server, the last counters read
 * (they start again from 0 at each start), so their sums over lives can be given.
 *
 * <p>{@link #start()} starts its daemon thread; {@link #stop()} (or {@link #close()}) stops it. A read that fails
 * (the server being killed) drops the connection, and the next tick connects again.
 * {@link #inFlightNow()} reads {@code InFlight} at once, for the soak to note just before a kill.
 *
 * <p>Threading: its own thread samples; the readers are synchronized.
 */
final class Sampler implements AutoCloseable {

    static final ObjectName QUEUE_MANAGER = name("outbox:type=QueueManager");
    static final ObjectName ALL_QUEUES = name("outbox:type=Queue,*");
    /** The counters kept per life; they count since the adapter started. */
    static final List<String> COUNTERS = List.of("Delivered", "Bounced", "Expired", "Deleted", "BounceNotices", "DelayNotices",
            "NoticesWithheld", "StuckRecovered");
    private static final String[] MANAGER_ATTRIBUTES = {"OverdueRecipients", "MessageCount", "Queued", "InFlight", "Deferred", "Frozen",
            "Delivered", "Bounced", "Expired", "Deleted", "BounceNotices", "DelayNotices", "NoticesWithheld", "StuckRecovered"};
    private static final long TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** A gap between two samples (while the server is up) worth naming in the account. */
    private static final long LONG_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(2500);
    private static final String REMOTING_TIMEOUT = "org.jboss.remoting-jmx.timeout";

    private final SoakServer server;
    private final Thread thread = new Thread(this::run, "soak-sampler");
    private volatile boolean closed;
    private JMXConnector connector;
    private MBeanServerConnection connection;

    private int samples;
    private int failedReads;
    private long longestGapNanos;
    private long lastSampleNanos;
    private int lastSampleLife;
    private int maxOverdue;
    private final List<String> overdueSightings = new ArrayList<>();
    private final List<String> longGaps = new ArrayList<>();
    private final Map<Integer, Map<String, Long>> countersByLife = new TreeMap<>();
    private Map<String, Long> latest = Map.of();
    private Map<String, String> queueStates = Map.of();
    private int maxInFlight;
    private final Map<String, Integer> statesSeen = new TreeMap<>();

    Sampler(SoakServer server) {
        this.server = server;
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Stops sampling and closes the connection; the readings stay. A second call does nothing. */
    void stop() {
        closed = true;
        thread.interrupt();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        disconnect();
    }

    @Override
    public void close() {
        stop();
    }

    synchronized int samples() {
        return samples;
    }

    /** Reads that failed: while the server was starting (before Outbox's MBeans were there) or being killed. */
    synchronized int failedReads() {
        return failedReads;
    }

    /** The longest time between two samples while the server was up, in seconds. */
    synchronized double longestGapSeconds() {
        return longestGapNanos / 1e9;
    }

    /** Gaps of more than 2.5 s between two samples while the server was up: how long, and when they ended. */
    synchronized List<String> longGaps() {
        return List.copyOf(longGaps);
    }

    synchronized int maxOverdue() {
        return maxOverdue;
    }

    synchronized int maxInFlight() {
        return maxInFlight;
    }

    /** When OverdueRecipients was above 0: the time, the count and the queues' states. */
    synchronized List<String> overdueSightings() {
        return List.copyOf(overdueSightings);
    }

    /** The last value of {@code attribute} read (from the last sample), or -1 before any. */
    synchronized long latest(String attribute) {
        return latest.getOrDefault(attribute, -1L);
    }

    /** The states of the queues in the last sample, by queue. */
    synchronized Map<String, String> queueStates() {
        return Map.copyOf(queueStates);
    }

    /** How many times each queue state was read, over every sample and queue. */
    synchronized Map<String, Integer> statesSeen() {
        return new TreeMap<>(statesSeen);
    }

    /** {@code counter} summed over the server's lives, each life's last reading. */
    synchronized long summed(String counter) {
        return countersByLife.values().stream().mapToLong(counters -> counters.getOrDefault(counter, 0L)).sum();
    }

    /** {@code counter}'s last reading in each life, in order. */
    synchronized List<Long> byLife(String counter) {
        return countersByLife.values().stream().map(counters -> counters.getOrDefault(counter, 0L)).toList();
    }

    /** Reads the QueueManager's InFlight now; -1 when it cannot. */
    long inFlightNow() {
        try {
            MBeanServerConnection now = connectIfNeeded();
            return ((Number) now.getAttribute(QUEUE_MANAGER, "InFlight")).longValue();
        } catch (Exception e) {
            return -1;
        }
    }

    /** Takes one sample now (also used for the final reading); false when the server could not be read. */
    boolean sampleNow() {
        int life = server.lives();
        try {
            MBeanServerConnection now = connectIfNeeded();
            AttributeList values = now.getAttributes(QUEUE_MANAGER, MANAGER_ATTRIBUTES);
            Map<String, Long> read = new HashMap<>();
            for (javax.management.Attribute attribute : values.asList()) {
                read.put(attribute.getName(), ((Number) attribute.getValue()).longValue());
            }
            Map<String, String> states = new TreeMap<>();
            for (ObjectName queue : now.queryNames(ALL_QUEUES, null)) {
                try {
                    states.put(queue.getKeyProperty("destination"), String.valueOf(now.getAttribute(queue, "State")));
                } catch (javax.management.InstanceNotFoundException gone) {
                    // unregistered since the query: it was empty and idle
                }
            }
            record(life, read, states);
            return true;
        } catch (Exception e) {
            synchronized (this) {
                failedReads++;
            }
            disconnect();
            return false;
        }
    }

    private void run() {
        long next = System.nanoTime();
        while (!closed) {
            if (server.isRunning()) {
                sampleNow();
            } else {
                disconnect();
                synchronized (this) {
                    lastSampleNanos = 0; // a gap while the server is down is no gap of the sampler
                }
            }
            next += TICK_NANOS;
            long wait = next - System.nanoTime();
            if (wait < 0) {
                next = System.nanoTime(); // late: go on from now rather than catch up in a burst
                continue;
            }
            try {
                TimeUnit.NANOSECONDS.sleep(wait);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private synchronized void record(int life, Map<String, Long> read, Map<String, String> states) {
        long now = System.nanoTime();
        boolean up = server.isUp();
        if (up && lastSampleNanos != 0 && lastSampleLife == life) { // gaps are measured while the server is up, not while it boots
            long gap = now - lastSampleNanos;
            longestGapNanos = Math.max(longestGapNanos, gap);
            if (gap > LONG_GAP_NANOS && longGaps.size() < 10) {
                longGaps.add(String.format(java.util.Locale.ROOT, "%.1f s before %s", gap / 1e9, Instant.now()));
            }
        }
        lastSampleNanos = up ? now : 0;
        lastSampleLife = life;
        samples++;
        latest = read;
        queueStates = states;
        states.values().forEach(state -> statesSeen.merge(state, 1, Integer::sum));
        int overdue = read.getOrDefault("OverdueRecipients", 0L).intValue();
        maxOverdue = Math.max(maxOverdue, overdue);
        maxInFlight = Math.max(maxInFlight, read.getOrDefault("InFlight", 0L).intValue());
        if (overdue > 0 && overdueSightings.size() < 20) {
            overdueSightings.add(Instant.now() + " life " + life + (up ? "" : " (WildFly still starting)") + ": OverdueRecipients "
                    + overdue + ", queues " + states);
        }
        Map<String, Long> counters = new HashMap<>();
        for (String counter : COUNTERS) {
            counters.put(counter, read.getOrDefault(counter, 0L));
        }
        countersByLife.put(life, counters);
    }

    private synchronized MBeanServerConnection connectIfNeeded() throws IOException {
        if (connection == null) {
            Map<String, Object> environment = new HashMap<>();
            environment.put(REMOTING_TIMEOUT, 5);
            connector = JMXConnectorFactory.connect(new JMXServiceURL("service:jmx:remote+http://127.0.0.1:" + server.managementPort()),
                    environment);
            connection = connector.getMBeanServerConnection();
        }
        return connection;
    }

    private synchronized void disconnect() {
        if (connector != null) {
            try {
                connector.close();
            } catch (IOException | RuntimeException e) {
                // the server is gone; nothing to release on this side
            }
        }
        connector = null;
        connection = null;
    }

    private static ObjectName name(String name) {
        try {
            return new ObjectName(name);
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException(name, e);
        }
    }
}
