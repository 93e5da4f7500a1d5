package dev.outbox.bench;

import dev.outbox.queue.MailQueue;
import dev.outbox.queue.Wakeups;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The retry clock of an engine run outside WildFly: {@link Wakeups} on a JDK
 * {@link ScheduledThreadPoolExecutor}, doing what the EJB module's {@code RetryClock} does with
 * EJB timers. One wake-up is pending per destination; a new request replaces it (the old one is
 * cancelled in the same atomic step of the destination's map entry); a wake-up that fires forgets
 * itself, unless it was replaced meanwhile, before it calls {@link MailQueue#wake}. Like the EJB
 * module it also runs {@link MailQueue#sweep} every {@value #SWEEP_SECONDS} seconds, the safety
 * net that merges anything a lost wake-up would leave behind.
 *
 * <p>{@link #attach} gives it the engine (or, for tests, what to call), before {@link MailQueue#start}; until then
 * {@link #wakeAt} returns false, as the adapter's does while no EJB timers are attached, and the
 * engine asks again at its next arm. {@link #fired()} counts the wake-ups that ran and
 * {@link #requested()} the requests; {@link #close} cancels what is pending and stops the threads.
 *
 * <p>What this is not: WildFly's timer service, its thread pool, or its transactions around a
 * timeout. The merge lane measures the engine's merge path with this JDK timer in its place.
 *
 * <p>Threading: every method may be called from any thread; wake-ups run on
 * {@value #THREADS} daemon threads of its own. Misuse: a second {@link #attach} throws
 * {@link IllegalStateException}. A wake-up or sweep that throws is logged and the clock goes on.
 */
final class TimerWakeups implements Wakeups, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TimerWakeups.class.getName());
    /** Threads that run wake-ups: a wake-up only merges, asks for the next one and hands connections to the executor. */
    static final int THREADS = 2;
    /** The EJB module's {@code @Schedule} sweep runs every ten seconds. */
    static final long SWEEP_SECONDS = 10;

    private record Pending(ScheduledFuture<?> future, long number) {
    }

    private final ScheduledThreadPoolExecutor timers;
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong numbers = new AtomicLong();
    private final LongAdder requested = new LongAdder();
    private final LongAdder fired = new LongAdder();
    private volatile Consumer<String> wake;
    private volatile boolean closed;

    TimerWakeups() {
        AtomicInteger count = new AtomicInteger();
        timers = new ScheduledThreadPoolExecutor(THREADS, task -> {
            Thread thread = new Thread(task, "bench-retry-clock-" + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        timers.setRemoveOnCancelPolicy(true); // replaced wake-ups leave the timer's queue at once, as cancelled EJB timers do
    }

    /** Wakes {@code engine} from now on, and sweeps it every {@value #SWEEP_SECONDS} s. */
    void attach(MailQueue engine) {
        attach(engine::wake, engine::sweep);
    }

    /** Calls {@code wake} with each destination whose time comes, and {@code sweep} every {@value #SWEEP_SECONDS} s. */
    void attach(Consumer<String> wake, Runnable sweep) {
        if (this.wake != null) {
            throw new IllegalStateException("this retry clock already wakes an engine");
        }
        this.wake = wake;
        timers.scheduleAtFixedRate(() -> {
            try {
                sweep.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "sweep failed", e);
            }
        }, SWEEP_SECONDS, SWEEP_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public boolean wakeAt(String destination, Instant due) {
        if (wake == null || closed) {
            return false;
        }
        requested.increment();
        pending.compute(destination, (key, old) -> {
            if (old != null) {
                old.future().cancel(false);
            }
            long number = numbers.incrementAndGet();
            long delay = Math.max(0, due.toEpochMilli() - System.currentTimeMillis());
            return new Pending(timers.schedule(() -> fire(destination, number), delay, TimeUnit.MILLISECONDS), number);
        });
        return true;
    }

    /** Wake-ups that ran. */
    long fired() {
        return fired.sum();
    }

    /** Wake-ups asked for (each replacing the destination's pending one, if any). */
    long requested() {
        return requested.sum();
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        timers.shutdownNow();
        pending.clear();
        if (!timers.awaitTermination(5, TimeUnit.SECONDS)) {
            Progress.say("merge: the retry clock's threads still run 5 s after it was closed");
        }
    }

    private void fire(String destination, long number) {
        // Forgotten before the call back, which may ask for the destination's next wake-up.
        pending.computeIfPresent(destination, (key, current) -> current.number() == number ? null : current);
        fired.increment();
        try {
            wake.accept(destination);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "wake-up of " + destination + " failed", e);
        }
    }
}
