package dev.outbox.metrics;

import dev.outbox.api.timers.RetryTimerHost;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.enterprise.inject.Any;
import jakarta.enterprise.inject.Default;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;

import java.util.logging.Logger;

/**
 * Hands the server's Micrometer registry to the adapter: WildFly's micrometer subsystem offers
 * it to deployments only as a CDI bean, which the resource adapter cannot inject. At start-up
 * this bean looks the registry up and attaches it through the admin object at
 * {@link RetryTimerHost#JNDI_NAME}; the adapter publishes its meters there until this bean
 * detaches it at shutdown (before the adapter stops) or the adapter stops.
 *
 * <p>Without the subsystem, Micrometer is not visible to deployments at all (WildFly adds its
 * module {@code io.micrometer} to every deployment only when the subsystem is configured), and a
 * bean whose injection point names {@code MeterRegistry} would fail to deploy. So no type here
 * names it: the type is looked up by name, and its absence means "no metrics", logged once at
 * INFO. The EAR declares no dependency on that module either: it is a private module of the
 * server, and a deployment naming it gets a warning (WFLYSRV0018) at every deploy.
 *
 * <p>Holds no queue logic and no meter. Threading: its callbacks run once each, on the container's thread.
 */
@Singleton
@Startup
public class MeterRegistryBridge {

    private static final Logger LOG = Logger.getLogger(MeterRegistryBridge.class.getName());

    /** The registry's type, by name only (see the class comment). */
    static final String REGISTRY_TYPE = "io.micrometer.core.instrument.MeterRegistry";

    @Resource(lookup = RetryTimerHost.JNDI_NAME)
    private RetryTimerHost adapter;

    @Inject
    @Any
    private Instance<Object> beans;

    /** The registry attached, or null. */
    private Object registry;

    @PostConstruct
    void attach() {
        Class<?> type;
        try {
            type = Class.forName(REGISTRY_TYPE, false, MeterRegistryBridge.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            LOG.info("Outbox publishes no metrics: this server has no micrometer subsystem (README.md, \"Metrics\", shows how to add it)");
            return;
        }
        Instance<?> found = beans.select(type, Default.Literal.INSTANCE);
        if (!found.isResolvable()) {
            LOG.info("Outbox publishes no metrics: Micrometer is visible but no single MeterRegistry bean is ("
                    + (found.isAmbiguous() ? "several" : "none") + ")");
            return;
        }
        registry = found.get();
        adapter.attachMeterRegistry(registry);
    }

    @PreDestroy
    void detach() {
        if (registry != null) {
            adapter.detachMeterRegistry(registry);
            registry = null;
        }
    }
}
