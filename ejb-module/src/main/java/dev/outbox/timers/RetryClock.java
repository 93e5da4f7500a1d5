package dev.outbox.timers;

import dev.outbox.api.timers.RetryTimerHost;
import dev.outbox.api.timers.RetryTimers;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.Local;
import jakarta.ejb.Lock;
import jakarta.ejb.LockType;
import jakarta.ejb.NoSuchObjectLocalException;
import jakarta.ejb.Schedule;
import jakarta.ejb.SessionContext;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timeout;
import jakarta.ejb.Timer;
import jakarta.ejb.TimerConfig;
import jakarta.ejb.TimerService;

import java.io.Serializable;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The retry clock: attaches itself to the adapter at start-up through the admin object at
 * {@link RetryTimerHost#JNDI_NAME}, and keeps one EJB timer per destination whose expiry calls
 * the adapter back. {@link #schedule} replaces the destination's timer atomically (the old one
 * is cancelled in the same step), so timers never pile up; a timer that fires forgets itself,
 * unless it was replaced meanwhile.
 *
 * <p>Timers are not persistent: the adapter keeps every due time in its own store and asks
 * again after a restart, so a timer lost with the server loses nothing. Holds no queue logic.
 * Threading: read lock, so calls run side by side; the map's per-key atomic compute is what
 * orders two calls for one destination. With the default write lock, delivery threads asking
 * for a wake-up would wait behind a sweep or a wake-up that is writing to the store.
 */
@Singleton
@Lock(LockType.READ)
@Startup
@Local(RetryTimers.class)
public class RetryClock implements RetryTimers {

    /** What a timer carries: its destination, and a number that tells it apart from the timer that replaced it. */
    record Wakeup(String destination, long number) implements Serializable {
    }

    private record Pending(Timer timer, long number) {
    }

    @Resource(lookup = RetryTimerHost.JNDI_NAME)
    private RetryTimerHost adapter;

    @Resource
    private TimerService timerService;

    @Resource
    private SessionContext context;

    private RetryTimers self;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong numbers = new AtomicLong();

    @PostConstruct
    void attach() {
        self = context.getBusinessObject(RetryTimers.class);
        adapter.attach(self);
    }

    @PreDestroy
    void detach() {
        adapter.detach(self);
        for (String destination : pending.keySet()) {
            pending.computeIfPresent(destination, (key, old) -> {
                cancel(old.timer());
                return null;
            });
        }
    }

    @Override
    public void schedule(String destination, Instant due) {
        pending.compute(destination, (key, old) -> {
            if (old != null) {
                cancel(old.timer());
            }
            long number = numbers.incrementAndGet();
            Timer timer = timerService.createSingleActionTimer(Date.from(due), new TimerConfig(new Wakeup(destination, number), false));
            return new Pending(timer, number);
        });
    }

    /** Counted in the timer service itself, not in this bean's map, so that a test sees what really waits. */
    @Override
    public int pending(String destination) {
        return (int) timerService.getTimers().stream()
                .filter(timer -> timer.getInfo() instanceof Wakeup wakeup && wakeup.destination().equals(destination)).count();
    }

    @Timeout
    void expired(Timer timer) {
        if (!(timer.getInfo() instanceof Wakeup wakeup)) {
            return;
        }
        // Forget it before calling back: the adapter's call may schedule the destination's next wake-up.
        pending.computeIfPresent(wakeup.destination(), (key, current) -> current.number() == wakeup.number() ? null : current);
        adapter.timerExpired(wakeup.destination());
    }

    /** The safety net: even if a wake-up is lost, the adapter's sweep repairs overdue mail within ten seconds. */
    @Schedule(hour = "*", minute = "*", second = "*/10", persistent = false, info = "outbox-sweep")
    void sweep() {
        adapter.sweep();
    }

    /** Cancels {@code timer}; one that has just fired or been cancelled is already gone, which is fine. */
    private static void cancel(Timer timer) {
        try {
            timer.cancel();
        } catch (NoSuchObjectLocalException | IllegalStateException e) {
            // it fired (or is firing) already: its wake-up is harmless
        }
    }
}
