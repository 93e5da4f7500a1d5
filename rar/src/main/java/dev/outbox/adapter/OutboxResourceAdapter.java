package dev.outbox.adapter;

import dev.outbox.api.OutboxException;
import dev.outbox.api.timers.RetryTimers;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.SubmitLimits;
import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;

import javax.transaction.xa.XAResource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/**
 * The resource adapter: owns Outbox's configuration and, between {@link #start} and
 * {@link #stop}, its queue engine.
 *
 * <p>Configuration (JavaBean properties, set from ra.xml, ironjacamar.xml or the
 * resource-adapters subsystem; each checked at start):
 * <ul>
 *   <li>{@code Smarthost}: {@code host:port} every message is sent to; when empty, the
 *       environment variable {@code OUTBOX_SMARTHOST}, else {@code localhost:25}.</li>
 *   <li>{@code HeloName}: the EHLO name; empty means this host's name.</li>
 *   <li>{@code ConnectTimeoutSeconds} (1..3600, default 30) and {@code ReadTimeoutSeconds}
 *       (1..3600, default 300).</li>
 *   <li>{@code MaxMessageSizeBytes} (1024..2147483647, default 10485760) and
 *       {@code MaxRecipients} (1..100000, default 1000).</li>
 * </ul>
 *
 * <p>Threading: start and stop are called by the server, once each. {@link #engine()} may be
 * called from any thread; it fails with {@link OutboxException} when the adapter is not
 * started.
 */
public class OutboxResourceAdapter implements ResourceAdapter {

    private static final Logger LOG = Logger.getLogger(OutboxResourceAdapter.class.getName());

    /** The environment variable read when {@code Smarthost} is empty: part of Outbox's public contract. */
    static final String SMARTHOST_VARIABLE = "OUTBOX_SMARTHOST";
    static final String DEFAULT_SMARTHOST = "localhost:25";

    private String smarthost = "";
    private String heloName = "";
    private Integer connectTimeoutSeconds = 30;
    private Integer readTimeoutSeconds = 300;
    private Long maxMessageSizeBytes = 10L * 1024 * 1024;
    private Integer maxRecipients = 1000;

    private volatile Engine engine;
    private final AtomicReference<RetryTimers> retryTimers = new AtomicReference<>();
    private final AtomicBoolean retryTimersVerified = new AtomicBoolean();

    /** What a started adapter gives its connections. */
    record Engine(MailQueue queue, SubmitLimits limits, String messageIdDomain, Executor executor) {
    }

    @Override
    public void start(BootstrapContext context) throws ResourceAdapterInternalException {
        try {
            String fromEnvironment = System.getenv(SMARTHOST_VARIABLE);
            boolean configured = smarthost != null && !smarthost.isBlank();
            boolean inEnvironment = fromEnvironment != null && !fromEnvironment.isBlank();
            String source = configured ? "Smarthost" : inEnvironment ? SMARTHOST_VARIABLE : "default";
            NextHop nextHop = NextHop.parse(configured ? smarthost : inEnvironment ? fromEnvironment : DEFAULT_SMARTHOST, 25);
            String helo = heloName == null || heloName.isBlank() ? localHostName() : heloName.strip();
            SmtpSettings settings = new SmtpSettings(helo,
                    Duration.ofSeconds(inRange("ConnectTimeoutSeconds", connectTimeoutSeconds, 1, 3600)),
                    Duration.ofSeconds(inRange("ReadTimeoutSeconds", readTimeoutSeconds, 1, 3600)));
            SubmitLimits limits = new SubmitLimits(
                    inRange("MaxMessageSizeBytes", maxMessageSizeBytes, 1024, Integer.MAX_VALUE),
                    (int) inRange("MaxRecipients", maxRecipients, 1, 100_000));
            Executor executor = new WorkManagerExecutor(context.getWorkManager());
            MailQueue queue = new MailQueue(Clock.systemUTC(), nextHop, new SmtpDeliverer(settings), executor);
            engine = new Engine(queue, limits, helo, executor);
            LOG.info(() -> "Outbox started: smarthost " + nextHop + " (" + source + "), EHLO " + helo + ", at most "
                    + limits.maxMessageBytes() + " bytes and " + limits.maxRecipients() + " recipients a message");
        } catch (IllegalArgumentException e) {
            throw new ResourceAdapterInternalException("Outbox cannot start: " + e.getMessage(), e);
        }
    }

    @Override
    public void stop() {
        Engine stopping = engine;
        engine = null;
        if (stopping != null) {
            stopping.queue().stop();
            int pending = stopping.queue().pendingCount();
            LOG.info(() -> "Outbox stopped" + (pending > 0 ? " with " + pending + " messages still in delivery" : ""));
        }
        retryTimers.set(null);
    }

    /** The running engine. */
    Engine engine() throws OutboxException {
        Engine current = engine;
        if (current == null) {
            throw new OutboxException("Outbox is not started: the resource adapter is stopped or failed to start (see the server log)");
        }
        return current;
    }

    /**
     * Takes {@code timers} as the clock and checks the round trip with one immediate wake-up,
     * asked for on another thread: the EJB attaches from its {@code @PostConstruct}, where a
     * call back into it would be re-entrant.
     */
    void attachRetryTimers(RetryTimers timers) throws OutboxException {
        Executor executor = engine().executor();
        retryTimers.set(timers);
        retryTimersVerified.set(false);
        LOG.info("Outbox retry timers attached");
        executor.execute(() -> timers.schedule(RetryTimerAdminObject.ROUND_TRIP_CHECK, Instant.now()));
    }

    void detachRetryTimers(RetryTimers timers) {
        if (retryTimers.compareAndSet(timers, null)) {
            LOG.info("Outbox retry timers detached");
        }
    }

    void retryTimerExpired(String destination) {
        if (RetryTimerAdminObject.ROUND_TRIP_CHECK.equals(destination)) {
            if (retryTimersVerified.compareAndSet(false, true)) {
                LOG.info("Outbox retry timers verified: a wake-up came back from the EJB timer service");
            }
        }
        // Transfer queues with deferred recipients arrive with the retry schedule.
    }

    boolean retryTimersAttached() {
        return retryTimers.get() != null;
    }

    boolean retryTimersVerified() {
        return retryTimersAttached() && retryTimersVerified.get();
    }

    @Override
    public void endpointActivation(MessageEndpointFactory factory, ActivationSpec spec) throws ResourceException {
        throw new NotSupportedException("Outbox has no inbound messaging");
    }

    @Override
    public void endpointDeactivation(MessageEndpointFactory factory, ActivationSpec spec) {
    }

    @Override
    public XAResource[] getXAResources(ActivationSpec[] specs) {
        return null;
    }

    private static long inRange(String name, Number value, long min, long max) {
        if (value == null || value.longValue() < min || value.longValue() > max) {
            throw new IllegalArgumentException(name + " is " + value + ", outside " + min + ".." + max);
        }
        return value.longValue();
    }

    private static String localHostName() {
        try {
            String name = InetAddress.getLocalHost().getCanonicalHostName();
            return name.matches("[A-Za-z0-9.\\-]+") ? name : "localhost";
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }

    public String getSmarthost() {
        return smarthost;
    }

    public void setSmarthost(String smarthost) {
        this.smarthost = smarthost;
    }

    public String getHeloName() {
        return heloName;
    }

    public void setHeloName(String heloName) {
        this.heloName = heloName;
    }

    public Integer getConnectTimeoutSeconds() {
        return connectTimeoutSeconds;
    }

    public void setConnectTimeoutSeconds(Integer connectTimeoutSeconds) {
        this.connectTimeoutSeconds = connectTimeoutSeconds;
    }

    public Integer getReadTimeoutSeconds() {
        return readTimeoutSeconds;
    }

    public void setReadTimeoutSeconds(Integer readTimeoutSeconds) {
        this.readTimeoutSeconds = readTimeoutSeconds;
    }

    public Long getMaxMessageSizeBytes() {
        return maxMessageSizeBytes;
    }

    public void setMaxMessageSizeBytes(Long maxMessageSizeBytes) {
        this.maxMessageSizeBytes = maxMessageSizeBytes;
    }

    public Integer getMaxRecipients() {
        return maxRecipients;
    }

    public void setMaxRecipients(Integer maxRecipients) {
        this.maxRecipients = maxRecipients;
    }

    // The JCA container keys adapters by identity; these make that explicit.
    @Override
    public boolean equals(Object other) {
        return this == other;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
