package dev.outbox.delivery;

import dev.outbox.queue.Abort;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import jakarta.mail.MessagingException;

import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens {@link SmtpSession}s: Angus SMTP connections with Outbox's settings, and owns the one
 * thread every session shares for its timeouts: Angus's write timeout
 * ({@code mail.smtp.executor.writetimeout}) and each attempt's deadline. {@link #close} stops
 * that thread; the adapter calls it when it stops, after the queue. A next hop equal to the
 * smarthost it was given is opened as {@link Peer#SMARTHOST} (verified TLS under required TLS,
 * AUTH), any other as {@link Peer#MX_HOST}.
 *
 * <p>Thread-safe: holds no state between calls but the shared timer thread.
 */
public final class SmtpDeliverer implements Deliverer, AutoCloseable {

    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final SmtpSettings settings;
    private final NextHop smarthost;
    private final ScheduledThreadPoolExecutor timeouts;

    /** A deliverer with no smarthost: every next hop is an MX host. */
    public SmtpDeliverer(SmtpSettings settings) {
        this(settings, null);
    }

    /** A deliverer whose next hop {@code smarthost} (or null for none) is the smarthost. */
    public SmtpDeliverer(SmtpSettings settings, NextHop smarthost) {
        this.settings = settings;
        this.smarthost = smarthost;
        String name = "outbox-smtp-timeouts-" + INSTANCES.incrementAndGet();
        this.timeouts = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
        timeouts.setRemoveOnCancelPolicy(true); // a cancelled deadline must not stay queued for ten minutes
        timeouts.setKeepAliveTime(30, TimeUnit.SECONDS);
        timeouts.allowCoreThreadTimeOut(true);
    }

    @Override
    public Connection connect(NextHop nextHop, Duration budget) throws ConnectFailedException {
        return connect(nextHop, budget, new Abort());
    }

    @Override
    public Connection connect(NextHop nextHop, Duration budget, Abort abort) throws ConnectFailedException {
        try {
            return SmtpSession.open(nextHop, nextHop.equals(smarthost) ? Peer.SMARTHOST : Peer.MX_HOST, settings, timeouts, budget, abort);
        } catch (MessagingException e) {
            throw new ConnectFailedException("cannot connect to " + nextHop + ": " + SmtpSession.describe(e), e);
        }
    }

    /** Stops the timer thread; sessions still open lose their write timeout and deadline, so close them first. */
    @Override
    public void close() {
        timeouts.shutdownNow();
    }
}
