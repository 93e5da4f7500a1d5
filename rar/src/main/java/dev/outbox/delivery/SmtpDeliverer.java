package dev.outbox.delivery;

import dev.outbox.queue.Abort;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.NextHop;
import dev.outbox.routing.MailHost;
import dev.outbox.routing.MxResolver;
import dev.outbox.routing.Route;
import jakarta.mail.MessagingException;

import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * Opens {@link SmtpSession}s: Angus SMTP connections with Outbox's settings. A smarthost
 * destination is one server; a domain is routed by its MX records at each connect (RFC 5321
 * section 5, through {@link MxResolver}, whose cache keeps DNS answers for their TTL): its
 * hosts in preference order and each host's addresses are tried in turn, within the one budget,
 * until one greets with 220, so a host that cannot be reached, refuses, or answers 421 hands
 * over to the next before the queue enters RETRY. A domain that cannot take mail (it does not
 * exist, or publishes a null MX) is a permanent failure; a DNS failure is a temporary one.
 *
 * <p>A smarthost is opened as {@link Peer#SMARTHOST} (TLS verified under required TLS, AUTH when
 * a username is set), an MX host as {@link Peer#MX_HOST} (never verified, never AUTH).
 *
 * <p>It also owns the one thread every session shares for its timeouts: Angus's write timeout
 * ({@code mail.smtp.executor.writetimeout}) and each attempt's deadline; and the Jakarta Mail
 * Sessions they share, one per kind of connection ({@link MailSessions}). {@link #close} stops
 * that thread and the resolver; the adapter calls it when it stops, after the queue.
 *
 * <p>Thread-safe: holds no state between calls but the shared timer thread, the Sessions and the resolver.
 */
public final class SmtpDeliverer implements Deliverer, AutoCloseable {

    private static final Logger LOG = Logger.getLogger(SmtpDeliverer.class.getName());
    private static final AtomicInteger INSTANCES = new AtomicInteger();

    private final MxResolver resolver;
    private final int mxPort;
    private final ScheduledThreadPoolExecutor timeouts;
    /** The Jakarta Mail Sessions every connection shares, one per kind. */
    private final MailSessions sessions;
    /** Set once the IPv4-only warning was logged: it is about the server's settings, not about one domain. */
    private final AtomicBoolean ipv4OnlyWarned = new AtomicBoolean();
    /** MX addresses that broke a session lately: tried after the others of their domain. */
    private final HostsToTryLast tryLast = new HostsToTryLast();

    /** Delivers to smarthosts only: a domain destination fails (temporarily) with a reason saying so. */
    public SmtpDeliverer(SmtpSettings settings) {
        this(settings, null, 25);
    }

    /**
     * @param resolver routes domain destinations by MX; closed with this deliverer
     * @param mxPort   the port of MX hosts: 25, another in tests
     */
    public SmtpDeliverer(SmtpSettings settings, MxResolver resolver, int mxPort) {
        this.resolver = resolver;
        this.mxPort = mxPort;
        String name = "outbox-smtp-timeouts-" + INSTANCES.incrementAndGet();
        this.timeouts = new ScheduledThreadPoolExecutor(1, task -> {
            Thread thread = new Thread(task, name);
            thread.setDaemon(true);
            return thread;
        });
        timeouts.setRemoveOnCancelPolicy(true); // a cancelled deadline must not stay queued for ten minutes
        timeouts.setKeepAliveTime(30, TimeUnit.SECONDS);
        timeouts.allowCoreThreadTimeOut(true);
        this.sessions = new MailSessions(settings, timeouts);
    }

    @Override
    public Connection connect(Destination destination, Duration budget, Abort abort) throws ConnectFailedException {
        if (destination.isSmarthost()) {
            NextHop nextHop = destination.smarthost();
            try {
                return SmtpSession.open(nextHop, Peer.SMARTHOST, sessions, budget, abort);
            } catch (MessagingException e) {
                throw new ConnectFailedException("cannot connect to " + nextHop + ": " + SmtpSession.describe(e), e);
            }
        }
        if (resolver == null) {
            throw new ConnectFailedException("cannot route " + destination + " by MX: this deliverer has no resolver", null);
        }
        long deadline = System.nanoTime() + budget.toNanos();
        // Within the attempt's budget, and cancelled by its abort: the lookup's sockets close as a connection's would.
        Route route = resolver.resolve(destination.name(), budget, abort::onFire);
        if (abort.fired()) {
            throw new ConnectFailedException("cannot route " + destination + ": aborted during its MX lookup", null);
        }
        if (route instanceof Route.Bounce bounce) {
            throw ConnectFailedException.permanent(bounce.replyCode(), bounce.reply());
        }
        if (route instanceof Route.Defer defer) {
            warnIfIpv4Only(defer.reason());
            throw new ConnectFailedException("cannot route " + destination + ": " + defer.reason(), null);
        }
        return connectToFirst(destination, ((Route.Hosts) route).hosts(), deadline, abort);
    }

    /** One address to try, with the name of the MX host it belongs to. */
    private record Candidate(String host, InetAddress address) {
    }

    /**
     * Each host in order, each of its addresses in order (those whose last session the peer broke
     * after all the others), until one greets; all failures named when none does.
     */
    private Connection connectToFirst(Destination destination, List<MailHost> hosts, long deadline, Abort abort) throws ConnectFailedException {
        List<Candidate> candidates = new ArrayList<>();
        List<Candidate> broke = new ArrayList<>();
        for (MailHost host : hosts) {
            for (InetAddress address : host.addresses()) {
                (tryLast.isMarked(address) ? broke : candidates).add(new Candidate(host.name(), address));
            }
        }
        candidates.addAll(broke);
        List<String> failures = new ArrayList<>();
        MessagingException last = null;
        for (Candidate candidate : candidates) {
            long left = deadline - System.nanoTime();
            if (left <= 0 || abort.fired()) {
                failures.add(abort.fired() ? "aborted" : "no time left for " + candidate.host() + " [" + candidate.address().getHostAddress() + "]");
                throw failed(destination, failures, last);
            }
            NextHop hop = new NextHop(candidate.address().getHostAddress(), mxPort);
            try {
                SmtpSession session = SmtpSession.open(hop, Peer.MX_HOST, sessions, Duration.ofNanos(left), abort);
                session.whenPeerBreaks(() -> tryLast.broke(candidate.address()));
                session.remoteHost(candidate.host());
                if (!failures.isEmpty()) {
                    LOG.info(() -> "Outbox reached " + destination + " at " + candidate.host() + " " + hop + " after: " + String.join("; ", failures));
                }
                return session;
            } catch (MessagingException e) {
                last = e;
                failures.add(candidate.host() + " " + hop + ": " + SmtpSession.describe(e));
            }
        }
        throw failed(destination, failures, last);
    }

    private static ConnectFailedException failed(Destination destination, List<String> failures, MessagingException last) {
        return new ConnectFailedException("cannot connect to any MX host of " + destination + ": " + String.join("; ", failures), last);
    }

    /** A stock WildFly runs with java.net.preferIPv4Stack=true: say once, plainly, why IPv6-only hosts are out of reach. */
    private void warnIfIpv4Only(String reason) {
        if (reason.contains("preferIPv4Stack") && ipv4OnlyWarned.compareAndSet(false, true)) {
            LOG.warning(() -> "Outbox cannot reach hosts that have only IPv6 addresses: this server runs with"
                    + " -Djava.net.preferIPv4Stack=true (WildFly's standalone.conf sets it). First seen: " + reason);
        }
    }

    /** Stops the timer thread and the resolver; sessions still open lose their write timeout and deadline, so close them first. */
    @Override
    public void close() {
        timeouts.shutdownNow();
        if (resolver != null) {
            resolver.close();
        }
    }
}
