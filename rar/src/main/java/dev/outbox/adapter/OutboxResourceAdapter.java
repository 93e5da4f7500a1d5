package dev.outbox.adapter;

import dev.outbox.api.OutboxException;
import dev.outbox.api.timers.RetryTimers;
import dev.outbox.queue.RetrySchedule;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.dsn.DsnComposer;
import dev.outbox.management.OutboxMBeans;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.Destination;
import dev.outbox.queue.NextHop;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.store.StoreException;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.queue.SubmitLimits;
import jakarta.resource.NotSupportedException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ActivationSpec;
import jakarta.resource.spi.BootstrapContext;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterInternalException;
import jakarta.resource.spi.endpoint.MessageEndpointFactory;

import javax.transaction.xa.XAResource;
import java.lang.management.ManagementFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The resource adapter: owns Outbox's configuration and, between {@link #start} and
 * {@link #stop}, its queue engine.
 *
 * <p>Configuration: text JavaBean properties, one per {@link Setting} of
 * {@link Setting.Source#ADAPTER}, set by ironjacamar.xml from system properties
 * ({@code outbox.smarthost} and the rest, see README.md); an empty one takes its default.
 * {@link Setting} holds the names, defaults and ranges, and {@link AdapterSettings} checks the
 * values at start.
 *
 * <p>Metrics: when the EJB module hands over the server's Micrometer registry (only servers with
 * the micrometer subsystem have one), the running engine's meters are published in it
 * ({@link OutboxMeters}), refreshed after each sweep, and removed when the registry is detached
 * or the adapter stops. Without one, no Micrometer class is ever loaded.
 *
 * <p>Threading: start and stop are called by the server, once each. {@link #engine()} may be
 * called from any thread; it fails with {@link OutboxException} when the adapter is not
 * started.
 */
public class OutboxResourceAdapter implements ResourceAdapter {

    private static final Logger LOG = Logger.getLogger(OutboxResourceAdapter.class.getName());

    /** Journal segments are started anew at this size. */
    static final long SEGMENT_BYTES = 64L * 1024 * 1024;
    /** Room for the envelope and record framing beside the largest message. */
    static final long RECORD_OVERHEAD_BYTES = 32L * 1024 * 1024;
    /** How long stop waits for open connections to finish their message. */
    static final long STOP_GRACE_MILLIS = 10_000;

    private final Map<String, String> properties = new ConcurrentHashMap<>();

    private volatile Engine engine;
    private final AtomicReference<RetryTimers> retryTimers = new AtomicReference<>();
    private final AtomicBoolean retryTimersVerified = new AtomicBoolean();
    /** Guards {@link #meterRegistry} and the binding of {@link #meters}. */
    private final Object metersLock = new Object();
    /** The registry the EJB module attached (a Micrometer MeterRegistry), or null. */
    private Object meterRegistry;
    /** The meters published in it for the running engine, or null. */
    private volatile OutboxMeters meters;

    /** What a started adapter gives its connections. */
    record Engine(MailQueue queue, SmtpDeliverer deliverer, OutboxMBeans beans, SubmitLimits limits, String messageIdDomain,
                  Executor executor) {
    }

    @Override
    public void start(BootstrapContext context) throws ResourceAdapterInternalException {
        AdapterSettings settings;
        try {
            settings = AdapterSettings.of(properties, System::getenv, System::getProperty, System.getProperty("jboss.server.data.dir"));
        } catch (IllegalArgumentException e) {
            throw new ResourceAdapterInternalException("Outbox cannot start: " + e.getMessage(), e);
        }
        Executor tasks = new WorkManagerExecutor(context.getWorkManager(), false);
        Executor connections = new WorkManagerExecutor(context.getWorkManager(), true);
        JournalStore store;
        try {
            store = new JournalStore(settings.storeDirectory().resolve("journal"), SEGMENT_BYTES, settings.maxStoreBytes(),
                    (int) Math.min(Integer.MAX_VALUE, settings.limits().maxMessageBytes() + RECORD_OVERHEAD_BYTES));
        } catch (StoreException e) {
            throw new ResourceAdapterInternalException("Outbox cannot start: " + e.getMessage(), e);
        }
        NextHop smarthost = settings.smarthost();
        Destination relay = smarthost == null ? null : Destination.smarthost(smarthost);
        Function<String, Destination> router = relay != null ? recipient -> relay : Destination::ofRecipient;
        SmtpDeliverer deliverer;
        try {
            deliverer = relay != null ? new SmtpDeliverer(settings.smtp())
                    : new SmtpDeliverer(settings.smtp(), new MxResolver(DnsSettings.defaults().withServers(settings.dnsServers())), settings.smtpPort());
        } catch (IllegalArgumentException e) {
            store.close();
            throw new ResourceAdapterInternalException("Outbox cannot start: " + Setting.DNS_SERVERS.key() + ": " + e.getMessage(), e);
        }
        MailQueue queue = new MailQueue(Clock.systemUTC(), store, router, deliverer,
                connections, this::wakeAt, settings.policy());
        queue.notifySenders(new DsnComposer(settings.notices().writer(), settings.notices().returned()),
                settings.notices().delayNoticeAfter());
        // Delivery starts once a wake-up has come back from the EJB timers: a queue in RETRY must be
        // woken, and WildFly fires timers only once it has finished starting (the chaos soak found
        // recovered mail overdue for seconds after a restart, its queues' wake-ups not yet firing).
        queue.awaitClock();
        try {
            queue.start(); // recovery: finished before the engine accepts a submit
        } catch (RuntimeException e) {
            queue.stop(0);
            deliverer.close();
            throw new ResourceAdapterInternalException("Outbox cannot recover its store in " + settings.storeDirectory() + ": " + e.getMessage(), e);
        }
        OutboxMBeans beans = null;
        try {
            beans = OutboxMBeans.start(ManagementFactory.getPlatformMBeanServer(), queue, settings.policy(), tasks);
        } catch (IllegalStateException e) {
            LOG.log(Level.WARNING, e.getMessage() + "; Outbox delivers mail without them", e);
        }
        engine = new Engine(queue, deliverer, beans, settings.limits(), settings.smtp().heloName(), tasks);
        synchronized (metersLock) {
            if (meterRegistry != null) {
                bindMeters(queue);
            }
        }
        LOG.info(() -> "Outbox started: " + (smarthost != null ? "smarthost " + smarthost + " (" + settings.smarthostSource() + ")"
                : "routing by MX (no smarthost set), DNS " + (settings.dnsServers().isEmpty() ? "the system's resolvers" : settings.dnsServers())
                        + ", SMTP port " + settings.smtpPort()) + ", store "
                + settings.storeDirectory() + ", retry " + settings.policy().retrySchedule() + ", EHLO " + settings.smtp().heloName()
                + ", TLS " + settings.smtp().tls()
                + ", notices from " + settings.notices().writer().from() + " returning " + settings.notices().returned()
                + (settings.notices().delayNoticeAfter().isZero() ? ", no delay notices"
                        : ", delay notice after " + RetrySchedule.DurationText.format(settings.notices().delayNoticeAfter()))
                + (settings.smtp().trustStore() != null ? " (smarthost verified against the " + settings.smtp().trustStore() + ")" : "")
                + (settings.smtp().login() != null ? ", AUTH as \"" + settings.smtp().login().username() + "\""
                        + (settings.smtp().login().withoutTls() ? " (allowed without TLS)" : "") : "")
                + ", at most " + settings.limits().maxMessageBytes() + " bytes and " + settings.limits().maxRecipients() + " recipients a message"
                + ", at most " + settings.policy().connectionsPerDestination() + " connections per destination, "
                + settings.policy().messagesPerConnection() + " messages per connection and "
                + settings.policy().maxConnections() + " in all");
    }

    @Override
    public void stop() {
        Engine stopping = engine;
        engine = null;
        retryTimers.set(null);
        synchronized (metersLock) {
            unbindMeters();
            meterRegistry = null;
        }
        if (stopping != null) {
            if (stopping.beans() != null) {
                stopping.beans().close();
            }
            stopping.queue().stop(STOP_GRACE_MILLIS); // every connection ended and its outcome recorded, then the store closed
            stopping.deliverer().close();
            LOG.info("Outbox stopped");
        }
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
     * Takes {@code timers} as the clock and checks the round trip with one wake-up a few seconds
     * on, asked for on another thread: the EJB attaches from its {@code @PostConstruct}, where a
     * call back into it would be re-entrant. Not at once: WildFly 39's metrics collector walks the
     * new deployment's resources, timers included, and a timer that comes and goes during that
     * walk fails the deployment (a NullPointerException in DelegatingResource). Every queue's next
     * time is then asked for again.
     */
    static final Duration ROUND_TRIP_DELAY = Duration.ofSeconds(5);

    void attachRetryTimers(RetryTimers timers) throws OutboxException {
        Engine current = engine();
        retryTimers.set(timers);
        retryTimersVerified.set(false);
        LOG.info("Outbox retry timers attached");
        current.executor().execute(() -> {
            timers.schedule(RetryTimerAdminObject.ROUND_TRIP_CHECK, Instant.now().plus(ROUND_TRIP_DELAY));
            current.queue().rearm();
        });
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
            Engine current = engine;
            if (current != null) {
                current.queue().clockWorks();
            }
            return;
        }
        Engine current = engine;
        if (current != null) {
            current.queue().wake(destination);
        }
    }

    void sweep() {
        Engine current = engine;
        if (current != null) {
            int repaired = current.queue().sweep();
            if (current.beans() != null) {
                current.beans().refresh();
                current.beans().sweepRepaired(repaired, current.queue().stuckRecovered());
            }
            OutboxMeters published = meters;
            if (published != null) {
                published.refresh();
            }
        }
    }

    /**
     * Takes {@code registry} as the one Outbox's meters go to, removing them from any registry
     * attached before, and publishes them now if the engine runs (else when it starts). A registry
     * the adapter cannot use is logged and ignored.
     */
    void attachMeterRegistry(Object registry) {
        synchronized (metersLock) {
            unbindMeters();
            meterRegistry = registry;
            Engine current = engine;
            if (current != null) {
                bindMeters(current.queue());
            }
        }
    }

    void detachMeterRegistry(Object registry) {
        synchronized (metersLock) {
            if (registry == null || registry != meterRegistry) {
                return;
            }
            unbindMeters();
            meterRegistry = null;
        }
    }

    /** Holding metersLock, with a registry attached. */
    private void bindMeters(MailQueue queue) {
        try {
            meters = OutboxMeters.bind(queue, meterRegistry);
            LOG.info(() -> "Outbox publishes its metrics (outbox.*) in the server's registry " + meterRegistry.getClass().getName());
        } catch (RuntimeException | LinkageError e) { // e.g. the rar does not see the Micrometer classes the registry was made of
            LOG.log(Level.WARNING, "Outbox cannot publish its metrics in " + meterRegistry.getClass().getName() + ": " + e
                    + "; it delivers mail without them", e);
        }
    }

    /** Holding metersLock. */
    private void unbindMeters() {
        OutboxMeters published = meters;
        if (published != null) {
            meters = null;
            published.close();
            LOG.info("Outbox removed its metrics from the server's registry");
        }
    }

    /** The queue's clock: the attached EJB timers; with none attached, false (the next attach re-arms every queue). */
    private boolean wakeAt(String destination, Instant due) {
        RetryTimers timers = retryTimers.get();
        if (timers == null) {
            return false;
        }
        timers.schedule(destination, due); // a failure reaches the queue, which logs it and asks again later
        return true;
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

    public String getSmarthost() {
        return property(Setting.SMARTHOST);
    }

    public void setSmarthost(String value) {
        setProperty(Setting.SMARTHOST, value);
    }

    public String getTls() {
        return property(Setting.TLS);
    }

    public void setTls(String value) {
        setProperty(Setting.TLS, value);
    }

    public String getSmarthostTrustStore() {
        return property(Setting.SMARTHOST_TRUST_STORE);
    }

    public void setSmarthostTrustStore(String value) {
        setProperty(Setting.SMARTHOST_TRUST_STORE, value);
    }

    public String getSmarthostTrustStoreType() {
        return property(Setting.SMARTHOST_TRUST_STORE_TYPE);
    }

    public void setSmarthostTrustStoreType(String value) {
        setProperty(Setting.SMARTHOST_TRUST_STORE_TYPE, value);
    }

    public String getSmarthostUsername() {
        return property(Setting.SMARTHOST_USERNAME);
    }

    public void setSmarthostUsername(String value) {
        setProperty(Setting.SMARTHOST_USERNAME, value);
    }

    /** The path of the file that holds the password; the password itself is never a property of the adapter. */
    public String getSmarthostPasswordFile() {
        return property(Setting.SMARTHOST_PASSWORD_FILE);
    }

    public void setSmarthostPasswordFile(String value) {
        setProperty(Setting.SMARTHOST_PASSWORD_FILE, value);
    }

    public String getSmarthostAuthWithoutTls() {
        return property(Setting.SMARTHOST_AUTH_WITHOUT_TLS);
    }

    public void setSmarthostAuthWithoutTls(String value) {
        setProperty(Setting.SMARTHOST_AUTH_WITHOUT_TLS, value);
    }

    public String getHeloName() {
        return property(Setting.HELO_NAME);
    }

    public void setHeloName(String value) {
        setProperty(Setting.HELO_NAME, value);
    }

    public String getConnectTimeoutSeconds() {
        return property(Setting.CONNECT_TIMEOUT_SECONDS);
    }

    public void setConnectTimeoutSeconds(String value) {
        setProperty(Setting.CONNECT_TIMEOUT_SECONDS, value);
    }

    public String getReadTimeoutSeconds() {
        return property(Setting.READ_TIMEOUT_SECONDS);
    }

    public void setReadTimeoutSeconds(String value) {
        setProperty(Setting.READ_TIMEOUT_SECONDS, value);
    }

    public String getMaxMessageSizeBytes() {
        return property(Setting.MAX_MESSAGE_SIZE_BYTES);
    }

    public void setMaxMessageSizeBytes(String value) {
        setProperty(Setting.MAX_MESSAGE_SIZE_BYTES, value);
    }

    public String getMaxRecipients() {
        return property(Setting.MAX_RECIPIENTS);
    }

    public void setMaxRecipients(String value) {
        setProperty(Setting.MAX_RECIPIENTS, value);
    }

    public String getStoreDirectory() {
        return property(Setting.STORE_DIRECTORY);
    }

    public void setStoreDirectory(String value) {
        setProperty(Setting.STORE_DIRECTORY, value);
    }

    public String getMaxStoreBytes() {
        return property(Setting.MAX_STORE_BYTES);
    }

    public void setMaxStoreBytes(String value) {
        setProperty(Setting.MAX_STORE_BYTES, value);
    }

    public String getRetrySchedule() {
        return property(Setting.RETRY_SCHEDULE);
    }

    public void setRetrySchedule(String value) {
        setProperty(Setting.RETRY_SCHEDULE, value);
    }

    public String getMaxMessageAge() {
        return property(Setting.MAX_MESSAGE_AGE);
    }

    public void setMaxMessageAge(String value) {
        setProperty(Setting.MAX_MESSAGE_AGE, value);
    }

    public String getDelayNoticeAfter() {
        return property(Setting.DELAY_NOTICE_AFTER);
    }

    public void setDelayNoticeAfter(String value) {
        setProperty(Setting.DELAY_NOTICE_AFTER, value);
    }

    public String getDsnFrom() {
        return property(Setting.DSN_FROM);
    }

    public void setDsnFrom(String value) {
        setProperty(Setting.DSN_FROM, value);
    }

    public String getDsnReturn() {
        return property(Setting.DSN_RETURN);
    }

    public void setDsnReturn(String value) {
        setProperty(Setting.DSN_RETURN, value);
    }

    public String getConnectionsPerDestination() {
        return property(Setting.CONNECTIONS_PER_DESTINATION);
    }

    public void setConnectionsPerDestination(String value) {
        setProperty(Setting.CONNECTIONS_PER_DESTINATION, value);
    }

    public String getMessagesPerConnection() {
        return property(Setting.MESSAGES_PER_CONNECTION);
    }

    public void setMessagesPerConnection(String value) {
        setProperty(Setting.MESSAGES_PER_CONNECTION, value);
    }

    public String getWriteTimeoutSeconds() {
        return property(Setting.WRITE_TIMEOUT_SECONDS);
    }

    public void setWriteTimeoutSeconds(String value) {
        setProperty(Setting.WRITE_TIMEOUT_SECONDS, value);
    }

    public String getMaxConnections() {
        return property(Setting.MAX_CONNECTIONS);
    }

    public void setMaxConnections(String value) {
        setProperty(Setting.MAX_CONNECTIONS, value);
    }

    public String getAttemptTimeoutSeconds() {
        return property(Setting.ATTEMPT_TIMEOUT_SECONDS);
    }

    public void setAttemptTimeoutSeconds(String value) {
        setProperty(Setting.ATTEMPT_TIMEOUT_SECONDS, value);
    }

    public String getDnsServers() {
        return property(Setting.DNS_SERVERS);
    }

    public void setDnsServers(String value) {
        setProperty(Setting.DNS_SERVERS, value);
    }

    public String getSmtpPort() {
        return property(Setting.SMTP_PORT);
    }

    public void setSmtpPort(String value) {
        setProperty(Setting.SMTP_PORT, value);
    }

    private String property(Setting setting) {
        return properties.getOrDefault(setting.bean(), "");
    }

    private void setProperty(Setting setting, String value) {
        properties.put(setting.bean(), value == null ? "" : value);
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
