package dev.outbox.management;

import dev.outbox.api.RecipientState;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.QueuePolicy;
import dev.outbox.queue.QueueState;
import dev.outbox.queue.Transition;
import dev.outbox.queue.TransferQueue;

import javax.management.AttributeChangeNotification;
import javax.management.AttributeNotFoundException;
import javax.management.InstanceNotFoundException;
import javax.management.JMException;
import javax.management.MBeanException;
import javax.management.MBeanNotificationInfo;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.Notification;
import javax.management.NotificationBroadcasterSupport;
import javax.management.NotificationEmitter;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.StandardEmitterMBean;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.CompositeDataSupport;
import javax.management.openmbean.CompositeType;
import javax.management.openmbean.OpenDataException;
import javax.management.openmbean.OpenType;
import javax.management.openmbean.SimpleType;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Publishes the queue engine in JMX: {@code outbox:type=QueueManager} while the adapter runs, and
 * one {@code outbox:type=Queue,destination=<next hop>} per transfer queue, registered when the
 * queue appears and unregistered once it has been empty and idle for ten minutes. It also sends
 * the notifications, from the QueueManager: a queue's state change (an
 * AttributeChangeNotification of attribute State whose source is the queue's ObjectName), a bounced or expired
 * recipient ({@code outbox.recipient.bounced}, {@code outbox.recipient.expired}) and a sweep
 * that repaired something ({@code outbox.sweep.repaired}), each with open-type user data.
 *
 * <p>Operations that only read report impact INFO (WildFly's RBAC lets a Monitor call those),
 * every other ACTION. Notifications go out on the given executor (the adapter's work manager),
 * never on the thread that made the transition, which holds the message's lock.
 *
 * <p>Operations: {@link #start}, then {@link #refresh} periodically (the adapter calls it with
 * each sweep), {@link #sweepRepaired} after a sweep, {@link #close} when the adapter stops.
 * Threading: safe from any thread.
 */
public final class OutboxMBeans implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(OutboxMBeans.class.getName());

    public static final String DOMAIN = "outbox";
    public static final String BOUNCED = "outbox.recipient.bounced";
    public static final String EXPIRED = "outbox.recipient.expired";
    public static final String SWEEP_REPAIRED = "outbox.sweep.repaired";
    /** How long a queue stays registered once it is empty and idle. */
    static final long IDLE_MILLIS = 10 * 60_000;

    private static final String[] RECIPIENT_EVENT_ITEMS = {"messageId", "recipient", "destination", "state", "replyCode", "reply", "time"};
    private static final CompositeType RECIPIENT_EVENT = compositeType("RecipientEvent", RECIPIENT_EVENT_ITEMS,
            new OpenType<?>[] {SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.STRING, SimpleType.INTEGER,
                    SimpleType.STRING, SimpleType.STRING});

    private static final String[] SWEEP_EVENT_ITEMS = {"repaired", "stuckRecovered"};
    private static final CompositeType SWEEP_EVENT = compositeType("SweepEvent", SWEEP_EVENT_ITEMS,
            new OpenType<?>[] {SimpleType.INTEGER, SimpleType.LONG});

    private final MBeanServer server;
    private final MailQueue engine;
    private final ObjectName managerName;
    private final NotificationBroadcasterSupport notifications;
    private final Executor notifier;
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, Published> queues = new ConcurrentHashMap<>();
    /** Queues whose bean went for being idle: registered again only once something waits in them. */
    private final Set<String> retired = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** A queue's bean as registered, with what the last refresh saw of it. */
    private static final class Published {
        final ObjectName name;
        /** The queue the bean reads: the engine may forget it and make a new one under the same name. */
        final TransferQueue queue;
        QueueState lastState;
        long idleSinceMillis;

        Published(ObjectName name, TransferQueue queue, QueueState state) {
            this.name = name;
            this.queue = queue;
            this.lastState = state;
        }
    }

    private OutboxMBeans(MBeanServer server, MailQueue engine, Executor notifier) throws MalformedObjectNameException {
        this.server = server;
        this.engine = engine;
        this.managerName = new ObjectName(DOMAIN + ":type=QueueManager");
        this.notifications = new NotificationBroadcasterSupport(notifier, notificationInfo());
        this.notifier = notifier;
    }

    /**
     * Registers the QueueManager and a bean per existing queue, and listens to the engine.
     *
     * @throws IllegalStateException when the beans cannot be registered (another Outbox in this server already has them)
     */
    public static OutboxMBeans start(MBeanServer server, MailQueue engine, QueuePolicy policy, Executor notifier) {
        try {
            OutboxMBeans beans = new OutboxMBeans(server, engine, notifier);
            server.registerMBean(new OpenBean<>(new QueueManagerBean(engine, policy.retrySchedule(), policy.maxAge()),
                    QueueManagerMXBean.class, beans.notifications), beans.managerName);
            engine.listen(beans::changed);
            beans.refresh();
            return beans;
        } catch (JMException e) {
            throw new IllegalStateException("Outbox cannot register its MBeans: " + e.getMessage(), e);
        }
    }

    /** The ObjectName of the bean of transfer queue {@code destination}. */
    public static ObjectName queueName(String destination) {
        try {
            return new ObjectName(DOMAIN + ":type=Queue,destination=" + quotedIfNeeded(destination));
        } catch (MalformedObjectNameException e) {
            throw new IllegalArgumentException("destination \"" + destination + "\" makes no ObjectName: " + e.getMessage(), e);
        }
    }

    /**
     * Registers beans for new queues, tells state changes, and unregisters queues empty and idle
     * for {@link #IDLE_MILLIS}.
     */
    public synchronized void refresh() {
        if (closed) {
            return;
        }
        long now = engine.clock().millis();
        Set<String> current = new HashSet<>();
        for (TransferQueue queue : engine.queues()) {
            current.add(queue.name());
            QueueState state = queue.state(now);
            Published published = queues.get(queue.name());
            if (published != null && published.queue != queue) {
                // The engine forgot the queue this bean reads and made a new one for the destination: a bean for the new one.
                unregister(queue.name(), published);
                published = null;
            }
            if (published == null) {
                if (retired.contains(queue.name())) {
                    if (idle(queue, state)) {
                        continue; // unregistered for being idle, and still is
                    }
                    retired.remove(queue.name());
                }
                published = register(queue, state);
                if (published == null) {
                    continue;
                }
            } else if (published.lastState != state) {
                QueueState before = published.lastState;
                published.lastState = state;
                AttributeChangeNotification change = new AttributeChangeNotification(published.name, sequence.incrementAndGet(), now,
                        "queue " + queue.name() + " is " + state, "State", "java.lang.String", before.name(), state.name());
                notifications.sendNotification(change);
            }
            if (!idle(queue, state)) {
                published.idleSinceMillis = 0;
            } else if (published.idleSinceMillis == 0) {
                published.idleSinceMillis = now;
            } else if (now - published.idleSinceMillis >= IDLE_MILLIS) {
                unregister(queue.name(), published);
                retired.add(queue.name());
            }
        }
        // Queues the engine has forgotten (idle as long): their beans go, and so do their names here.
        for (Map.Entry<String, Published> entry : Map.copyOf(queues).entrySet()) {
            if (!current.contains(entry.getKey())) {
                unregister(entry.getKey(), entry.getValue());
            }
        }
        retired.retainAll(current);
    }

    /** Empty and idle: nothing waits in it, frozen mail included (the engine keeps the queue object until it is idle as long). */
    private boolean idle(TransferQueue queue, QueueState state) {
        return state == QueueState.EMPTY && queue.readyCount() == 0 && queue.scheduledCount() == 0 && queue.activeConnections() == 0
                && queue.messageCount() == 0;
    }

    /** Tells that a sweep repaired {@code count} recipients (nothing when 0). */
    public void sweepRepaired(int count, long stuckRecoveredTotal) {
        if (count > 0 && !closed) {
            Notification notification = new Notification(SWEEP_REPAIRED, managerName, sequence.incrementAndGet(),
                    engine.clock().millis(), "the sweep found " + count + " recipients overdue and repaired them");
            notification.setUserData(composite(SWEEP_EVENT, SWEEP_EVENT_ITEMS, new Object[] {count, stuckRecoveredTotal}));
            notifications.sendNotification(notification);
        }
    }

    /** Unregisters every bean; the engine's listener stays but does nothing more. */
    @Override
    public synchronized void close() { // after any refresh in progress, so no bean is registered behind it
        closed = true;
        for (Map.Entry<String, Published> entry : queues.entrySet()) {
            unregister(entry.getKey(), entry.getValue());
        }
        try {
            server.unregisterMBean(managerName);
        } catch (InstanceNotFoundException e) {
            // already gone
        } catch (JMException e) {
            LOG.log(Level.WARNING, "Outbox could not unregister " + managerName, e);
        }
    }

    /** The engine's transition hook: runs under the message's lock, so it only hands the event on. */
    private void changed(Transition transition) {
        if (closed) {
            return;
        }
        if (!queues.containsKey(transition.destination())) {
            notifier.execute(this::refresh); // a new queue: its bean appears now, not at the next sweep
        }
        if (transition.to() != RecipientState.BOUNCED && transition.to() != RecipientState.EXPIRED) {
            return;
        }
        String type = transition.to() == RecipientState.BOUNCED ? BOUNCED : EXPIRED;
        Notification notification = new Notification(type, managerName, sequence.incrementAndGet(), transition.atMillis(),
                "message " + transition.messageId() + " " + transition.to().name().toLowerCase(Locale.ROOT) + " for "
                        + transition.recipient() + " at " + transition.destination());
        notification.setUserData(recipientEvent(transition));
        // Filters run where sendNotification is called: not on this thread, which holds the message's lock.
        notifier.execute(() -> notifications.sendNotification(notification));
    }

    private Published register(TransferQueue queue, QueueState state) {
        ObjectName name = queueName(queue.name());
        try {
            server.registerMBean(new OpenBean<>(new QueueBean(engine, queue, engine.clock()), QueueMXBean.class, null), name);
        } catch (JMException e) {
            LOG.log(Level.WARNING, "Outbox could not register " + name, e);
            return null;
        }
        Published published = new Published(name, queue, state);
        queues.put(queue.name(), published);
        return published;
    }

    private void unregister(String destination, Published published) {
        queues.remove(destination, published);
        try {
            server.unregisterMBean(published.name);
        } catch (InstanceNotFoundException e) {
            // already gone
        } catch (JMException e) {
            LOG.log(Level.WARNING, "Outbox could not unregister " + published.name, e);
        }
    }

    private static CompositeData recipientEvent(Transition transition) {
        return composite(RECIPIENT_EVENT, RECIPIENT_EVENT_ITEMS, new Object[] {
                transition.messageId(), transition.recipient(), transition.destination(), transition.to().name(),
                transition.replyCode(), transition.reply(), Views.time(transition.atMillis())});
    }

    private static CompositeData composite(CompositeType type, String[] items, Object[] values) {
        try {
            return new CompositeDataSupport(type, items, values);
        } catch (OpenDataException e) {
            throw new IllegalStateException("the values do not fit the open type " + type.getTypeName(), e);
        }
    }

    private static String quotedIfNeeded(String value) {
        for (int i = 0; i < value.length(); i++) {
            if (":,=*?\"\n\\".indexOf(value.charAt(i)) >= 0) {
                return ObjectName.quote(value);
            }
        }
        return value;
    }

    private static MBeanNotificationInfo[] notificationInfo() {
        return new MBeanNotificationInfo[] {
                new MBeanNotificationInfo(new String[] {AttributeChangeNotification.ATTRIBUTE_CHANGE}, AttributeChangeNotification.class.getName(),
                        "a transfer queue's State changed (the source is the queue's ObjectName)"),
                new MBeanNotificationInfo(new String[] {BOUNCED, EXPIRED, SWEEP_REPAIRED}, Notification.class.getName(),
                        "a recipient bounced or expired (user data: messageId, recipient, destination, state, replyCode, reply, time),"
                                + " or the sweep repaired overdue recipients (user data: repaired, stuckRecovered)"),
        };
    }

    private static CompositeType compositeType(String name, String[] items, OpenType<?>[] types) {
        try {
            return new CompositeType(name, name, items, items, types);
        } catch (OpenDataException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * An MXBean whose read-only operations report impact INFO and the rest ACTION, so RBAC can tell
     * them apart, and whose failures a console without Outbox's classes can read: an exception
     * with a class of Outbox's in its chain (a StoreException from a failing disk) leaves as an
     * IllegalStateException with the chain's messages and no cause; the original is logged.
     */
    private static final class OpenBean<T> extends StandardEmitterMBean {
        OpenBean(T implementation, Class<T> type, NotificationEmitter emitter) {
            super(implementation, type, true, emitter != null ? emitter : new NotificationBroadcasterSupport());
        }

        @Override
        public Object invoke(String operation, Object[] parameters, String[] signature) throws MBeanException, ReflectionException {
            try {
                return super.invoke(operation, parameters, signature);
            } catch (RuntimeException e) {
                throw readable(operation, e);
            }
        }

        @Override
        public Object getAttribute(String attribute) throws AttributeNotFoundException, MBeanException, ReflectionException {
            try {
                return super.getAttribute(attribute);
            } catch (RuntimeException e) {
                throw readable(attribute, e);
            }
        }

        private static RuntimeException readable(String what, RuntimeException failure) {
            StringBuilder reason = new StringBuilder();
            boolean portable = true;
            for (Throwable t = failure; t != null; t = t.getCause()) {
                String type = t.getClass().getName();
                portable &= (type.startsWith("java.") || type.startsWith("javax.")) && t.getSuppressed().length == 0;
                if (t.getMessage() != null && reason.indexOf(t.getMessage()) < 0) {
                    reason.append(reason.length() == 0 ? "" : ": ").append(t.getMessage());
                }
            }
            if (portable) {
                return failure;
            }
            LOG.log(Level.WARNING, "Outbox: " + what + " failed", failure);
            return new IllegalStateException(what + " failed: " + (reason.length() == 0 ? failure.getClass().getSimpleName() : reason));
        }

        @Override
        protected int getImpact(MBeanOperationInfo operation) {
            String name = operation.getName();
            return name.startsWith("get") || name.startsWith("find") || name.startsWith("list")
                    ? MBeanOperationInfo.INFO : MBeanOperationInfo.ACTION;
        }
    }
}
