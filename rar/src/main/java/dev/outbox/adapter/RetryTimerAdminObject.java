package dev.outbox.adapter;

import dev.outbox.api.OutboxException;
import dev.outbox.api.timers.RetryTimerHost;
import dev.outbox.api.timers.RetryTimers;
import jakarta.resource.Referenceable;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterAssociation;

import javax.naming.Reference;
import java.io.Serializable;

/**
 * The admin object at {@link RetryTimerHost#JNDI_NAME}: how the EJB module's beans (the retry
 * clock, and the bridge that hands over the metrics registry) reach the adapter. Every call is
 * passed to the {@link OutboxResourceAdapter} it is associated with.
 */
public class RetryTimerAdminObject implements RetryTimerHost, ResourceAdapterAssociation, Referenceable, Serializable {

    private static final long serialVersionUID = 1L;

    /** The destination of the wake-up that checks the round trip when a clock attaches. */
    static final String ROUND_TRIP_CHECK = "outbox:round-trip-check";

    private transient OutboxResourceAdapter resourceAdapter;
    private Reference reference;

    @Override
    public void attach(RetryTimers timers) {
        if (timers == null) {
            throw new IllegalArgumentException("retry timers are null");
        }
        try {
            adapter().attachRetryTimers(timers);
        } catch (OutboxException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    @Override
    public void detach(RetryTimers timers) {
        adapter().detachRetryTimers(timers);
    }

    @Override
    public void timerExpired(String destination) {
        adapter().retryTimerExpired(destination);
    }

    @Override
    public void sweep() {
        adapter().sweep();
    }

    @Override
    public boolean isAttached() {
        return adapter().retryTimersAttached();
    }

    @Override
    public boolean isRoundTripVerified() {
        return adapter().retryTimersVerified();
    }

    @Override
    public void attachMeterRegistry(Object registry) {
        if (registry == null) {
            throw new IllegalArgumentException("meter registry is null");
        }
        adapter().attachMeterRegistry(registry);
    }

    @Override
    public void detachMeterRegistry(Object registry) {
        adapter().detachMeterRegistry(registry);
    }

    private OutboxResourceAdapter adapter() {
        if (resourceAdapter == null) {
            throw new IllegalStateException("the Outbox retry timer admin object is not associated with its resource adapter");
        }
        return resourceAdapter;
    }

    @Override
    public ResourceAdapter getResourceAdapter() {
        return resourceAdapter;
    }

    @Override
    public void setResourceAdapter(ResourceAdapter adapter) {
        if (!(adapter instanceof OutboxResourceAdapter outbox)) {
            throw new IllegalArgumentException("the retry timer admin object needs the Outbox resource adapter, not " + adapter);
        }
        this.resourceAdapter = outbox;
    }

    @Override
    public void setReference(Reference reference) {
        this.reference = reference;
    }

    @Override
    public Reference getReference() {
        return reference;
    }
}
