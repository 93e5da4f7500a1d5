package dev.outbox.adapter;

import dev.outbox.api.RecipientState;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.QueueIds;
import dev.outbox.queue.Transition;
import dev.outbox.queue.TransferQueue;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Outbox's meters in a Micrometer registry (the server's, handed over by the EJB module): owns
 * the meters it registered, and removes exactly those when closed.
 *
 * <p>Meters (Prometheus names in brackets):
 * <ul>
 * <li>counters, read from the engine's own counts: {@code outbox.submitted} (messages accepted),
 * {@code outbox.delivered}, {@code outbox.deferred}, {@code outbox.bounced},
 * {@code outbox.expired}, {@code outbox.deleted} (recipients), {@code outbox.notices.bounce} and
 * {@code outbox.notices.delay} (notices queued to senders), {@code outbox.notices.withheld} (failed
 * recipients of mail with a null reverse path), {@code outbox.stuck.recovered}
 * (recipients the sweep repaired; 0 in a healthy system) [{@code outbox_delivered_total} ...];
 * <li>{@code outbox.delivery.latency}, a timer of submit to DELIVERED per recipient
 * [{@code outbox_delivery_latency_seconds_count}, {@code _sum}, {@code _max}];
 * <li>gauges {@code outbox.messages} (live messages) and {@code outbox.overdue.recipients} (the
 * invariant's count, 0 in a healthy system; sampled at each refresh, because counting walks the
 * live messages);
 * <li>per destination, for the {@value #BUSIEST} queues with the most ready and scheduled entries
 * at the last refresh only, so the number of series stays bounded: {@code outbox.queue.depth}
 * (messages in that transfer queue) and {@code outbox.queue.oldest.age}
 * [{@code outbox_queue_oldest_age_seconds}], tagged {@code destination}. A destination that
 * drops out of that set loses its two series.
 * </ul>
 *
 * <p>Only the registry's name-and-tags methods are used, never the meter builders: in WildFly
 * 39.0.1 the registry a deployment gets (the micrometer subsystem's {@code ApplicationRegistry})
 * forwards those to the exported registry, but a builder's {@code register} lands in a private
 * registry nobody scrapes. Meters are removed through the instances the registry returned or finds,
 * which carry the tag that registry adds.
 *
 * <p>Operations: {@link #bind} registers every meter and listens to the engine; {@link #refresh}
 * (the adapter calls it after each sweep, every ten seconds) samples the overdue count and
 * re-chooses the busiest destinations, registering and removing their gauges; {@link #close}
 * removes every meter it registered. Threading: refresh and close are serialized; the transition
 * listener only records into the timer (non-blocking), so it may run under a message's lock.
 * Misuse: nothing; after close every call does nothing.
 */
public final class OutboxMeters implements AutoCloseable {

    /** How many destinations get gauges of their own. */
    public static final int BUSIEST = 10;
    public static final String DESTINATION_TAG = "destination";

    private final MeterRegistry registry;
    private final MailQueue queue;
    /** Every meter registered and not yet removed, per-destination ones aside. */
    private final List<Meter> meters = new ArrayList<>();
    /** The destinations that have gauges now, by name. */
    private final Map<String, Destination> destinations = new HashMap<>();
    /** Null once closed: the listener stays registered with the engine and then records nothing. */
    private volatile Timer latency;
    private volatile long overdue;
    private boolean closed;

    /** One published destination: the figures its gauges show, as of the last refresh. Gauges hold it weakly; the map holds it. */
    private static final class Destination {
        final List<Meter> meters = new ArrayList<>();
        volatile int messages;
        volatile long oldestSubmitMillis;
    }

    private OutboxMeters(MeterRegistry registry, MailQueue queue) {
        this.registry = registry;
        this.queue = queue;
    }

    /**
     * Registers Outbox's meters for {@code queue} in {@code registry} and listens to the engine.
     *
     * @throws IllegalArgumentException when {@code registry} is not a {@link MeterRegistry} of the class this adapter sees
     */
    public static OutboxMeters bind(MailQueue queue, Object registry) {
        if (!(registry instanceof MeterRegistry meterRegistry)) {
            throw new IllegalArgumentException("not a Micrometer MeterRegistry this adapter can use: " + registry.getClass().getName()
                    + " from " + registry.getClass().getClassLoader());
        }
        OutboxMeters bound = new OutboxMeters(meterRegistry, queue);
        try {
            bound.registerAll();
        } catch (RuntimeException e) {
            bound.close(); // none left half registered
            throw e;
        }
        queue.listen(bound::changed);
        return bound;
    }

    private synchronized void registerAll() {
        counter("outbox.submitted", MailQueue::submittedCount);
        counter("outbox.delivered", MailQueue::deliveredCount);
        counter("outbox.deferred", MailQueue::deferredCount);
        counter("outbox.bounced", MailQueue::bouncedCount);
        counter("outbox.expired", MailQueue::expiredCount);
        counter("outbox.deleted", MailQueue::deletedCount);
        counter("outbox.notices.bounce", MailQueue::bounceNoticeCount);
        counter("outbox.notices.delay", MailQueue::delayNoticeCount);
        counter("outbox.notices.withheld", MailQueue::noticesWithheldCount);
        counter("outbox.stuck.recovered", MailQueue::stuckRecovered);
        Timer timer = registry.timer("outbox.delivery.latency", Tags.empty());
        meters.add(timer);
        latency = timer;
        gauge(meters, "outbox.messages", Tags.empty(), this, self -> self.queue.messageCount());
        gauge(meters, "outbox.overdue.recipients", Tags.empty(), this, self -> self.overdue);
        refresh();
    }

    /**
     * Samples the overdue count, and gives gauges to the {@value #BUSIEST} destinations with the
     * most ready and scheduled entries now (ties by name), removing those of the destinations
     * that left that set. Walks the live messages once for the overdue count and once per
     * published destination.
     */
    public synchronized void refresh() {
        if (closed) {
            return;
        }
        overdue = queue.overdueRecipients();
        record Busy(String name, int entries) {
        }
        List<Busy> busiest = new ArrayList<>();
        for (TransferQueue transfer : queue.queues()) {
            int entries = transfer.readyCount() + transfer.scheduledCount();
            if (entries > 0) {
                busiest.add(new Busy(transfer.name(), entries));
            }
        }
        busiest.sort(Comparator.comparingInt(Busy::entries).reversed().thenComparing(Busy::name));
        Set<String> chosen = new HashSet<>();
        for (Busy busy : busiest.subList(0, Math.min(BUSIEST, busiest.size()))) {
            MailQueue.QueueFigures figures;
            try {
                figures = queue.figures(busy.name());
            } catch (IllegalArgumentException gone) {
                continue;
            }
            chosen.add(busy.name());
            Destination destination = destinations.get(busy.name());
            boolean fresh = destination == null;
            if (fresh) {
                destination = new Destination();
            }
            destination.messages = figures.messages();
            destination.oldestSubmitMillis = figures.oldestSubmitMillis();
            if (fresh) {
                publish(busy.name(), destination);
                destinations.put(busy.name(), destination);
            }
        }
        for (Iterator<Map.Entry<String, Destination>> it = destinations.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Destination> entry = it.next();
            if (!chosen.contains(entry.getKey())) {
                removeAll(entry.getValue().meters);
                it.remove();
            }
        }
    }

    /** The destinations that have gauges now. */
    public synchronized Set<String> publishedDestinations() {
        return Set.copyOf(destinations.keySet());
    }

    /** Removes every meter this instance registered; later calls and transitions do nothing. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        latency = null;
        for (Destination destination : destinations.values()) {
            removeAll(destination.meters);
        }
        destinations.clear();
        removeAll(meters);
    }

    /** The transition listener: runs under the message's lock, so it only records into the timer. */
    private void changed(Transition transition) {
        Timer timer = latency;
        if (timer == null || transition.to() != RecipientState.DELIVERED || QueueIds.isNotice(transition.messageId())) {
            return; // a notice's id carries its original's time: it would count the original's wait as the notice's
        }
        long submitted;
        try {
            submitted = QueueIds.millisOf(transition.messageId());
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException notAnId) {
            return;
        }
        timer.record(Math.max(0, transition.atMillis() - submitted), TimeUnit.MILLISECONDS);
    }

    private void publish(String name, Destination destination) {
        Tags tags = Tags.of(DESTINATION_TAG, name);
        gauge(destination.meters, "outbox.queue.depth", tags, destination, published -> published.messages);
        Meter age = registry.more().timeGauge("outbox.queue.oldest.age", tags, destination, TimeUnit.MILLISECONDS,
                published -> published.oldestSubmitMillis == 0 ? 0 : Math.max(0, queue.clock().millis() - published.oldestSubmitMillis));
        destination.meters.add(age);
    }

    private void counter(String name, ToDoubleFunction<MailQueue> count) {
        meters.add(registry.more().counter(name, Tags.empty(), this, self -> count.applyAsDouble(self.queue)));
    }

    /** Registers a gauge and keeps the meter the registry holds (its gauge method returns only the state object). */
    private <T> void gauge(List<Meter> into, String name, Tags tags, T state, ToDoubleFunction<T> value) {
        registry.gauge(name, tags, state, value);
        Meter registered = registry.find(name).tags(tags).gauge();
        if (registered != null) {
            into.add(registered);
        }
    }

    private void removeAll(List<Meter> registered) {
        for (Meter meter : registered) {
            registry.remove(meter);
        }
        registered.clear();
    }
}
