package dev.outbox.timers;

import dev.outbox.api.timers.RetryTimerHost;
import dev.outbox.api.timers.RetryTimers;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.annotation.Resource;
import jakarta.ejb.Local;
import jakarta.ejb.Lock;
import jakarta.ejb.LockType;
import jakarta.ejb.Schedule;
import jakarta.ejb.SessionContext;
import jakarta.ejb.Singleton;
import jakarta.ejb.Startup;
import jakarta.ejb.Timeout;
import jakarta.ejb.Timer;
import jakarta.ejb.TimerConfig;
import jakarta.ejb.TimerService;

import java.time.Instant;
import java.util.Date;

/**
 * The retry clock: attaches itself to the adapter at start-up through the admin object at
 * {@link RetryTimerHost#JNDI_NAME}, and turns each {@link #schedule} into an EJB timer whose
 * expiry calls the adapter back.
 *
 * <p>Timers are not persistent: the adapter keeps every due time in its own store and asks
 * again after a restart, so a timer lost with the server loses nothing. Holds no queue logic.
 * Threading: read lock, so calls run side by side. The bean's fields are set before its first
 * call and never change, and the queue engine it calls is thread-safe; with the default write
 * lock, delivery threads asking for a wake-up would wait behind a sweep or a wake-up that is
 * writing to the store.
 */
@Singleton
@Lock(LockType.READ)
@Startup
@Local(RetryTimers.class)
public class RetryClock implements RetryTimers {

    @Resource(lookup = RetryTimerHost.JNDI_NAME)
    private RetryTimerHost adapter;

    @Resource
    private TimerService timerService;

    @Resource
    private SessionContext context;

    private RetryTimers self;

    @PostConstruct
    void attach() {
        self = context.getBusinessObject(RetryTimers.class);
        adapter.attach(self);
    }

    @PreDestroy
    void detach() {
        adapter.detach(self);
    }

    @Override
    public void schedule(String destination, Instant due) {
        timerService.createSingleActionTimer(Date.from(due), new TimerConfig(destination, false));
    }

    @Timeout
    void expired(Timer timer) {
        adapter.timerExpired((String) timer.getInfo());
    }

    /** The safety net: even if a wake-up is lost, overdue mail is merged within ten seconds. */
    @Schedule(hour = "*", minute = "*", second = "*/10", persistent = false, info = "outbox-sweep")
    void sweep() {
        adapter.sweep();
    }
}
