package dev.outbox.delivery;

import dev.outbox.api.Envelope;
import dev.outbox.queue.Abort;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.MessagingException;
import org.eclipse.angus.mail.smtp.SMTPTransport;

import java.io.IOException;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.List;
import java.util.Objects;
import java.util.logging.Logger;

/**
 * One SMTP connection to one next hop, carrying messages one after another: Angus's
 * {@link SMTPTransport}, over the Jakarta Mail Session its kind of connection shares with the
 * deliverer's others ({@link MailSessions}), connects, greets, starts TLS, logs in and says QUIT; each message is a
 * {@link MailTransaction} of Outbox's own over the same socket ({@link SmtpWire}), pipelined when
 * the server offers PIPELINING. Angus sends MAIL, each RCPT and DATA one at a time and waits for
 * each reply; on loopback those round trips, not the bytes, were most of a delivery's cost.
 *
 * <p>{@link #open} connects, greets, starts TLS and logs in as the settings say for that
 * {@link Peer} (or throws); {@link #send} transfers one message and classifies, per recipient,
 * what the server answered, from reply codes only; {@link #tlsDescription} names the TLS
 * protocol and cipher suite negotiated; {@link #close} says QUIT without waiting for the reply;
 * {@link #abort} closes the socket from any thread. The data goes out with CRLF line endings
 * and dot-stuffing, so content can never end the DATA phase early.
 *
 * <p>TLS ({@link TlsPolicy}): STARTTLS when offered, unless {@code none}. Opportunistic TLS
 * checks no certificate, and when STARTTLS fails it connects once more without it, within the
 * same budget, and logs that it did. Required TLS makes a server without STARTTLS a failed
 * connection; towards the smarthost it verifies the certificate chain (the trust store setting,
 * else the JDK's) and the host name. AUTH (PLAIN or LOGIN) only to the smarthost, and only over
 * TLS unless the login allows plain text: until then STARTTLS is required. A refused AUTH, a
 * missing STARTTLS and a failed handshake are failed connections whose message says why, names
 * the username and never the password.
 *
 * <p>Bounded: connect and read timeouts, a write timeout for what Angus writes (on the
 * deliverer's shared timer thread), and a deadline for connecting (both attempts, TLS and AUTH
 * included) and for each message (which bounds its writes), enforced by closing the plain
 * socket, which also ends the TLS socket over it, so no call outlives its budget. A connection
 * is broken, and carries nothing more, once a reply was missing (a timeout, a reset, the server
 * closing without one, or a line that is no reply), the server said 421, RSET after a refused transaction failed, or it was aborted.
 *
 * <p>8-bit content (any byte over 127) goes out with {@code BODY=8BITMIME} to a server that
 * offers 8BITMIME; to one that does not, it is refused for each recipient as a permanent
 * failure (RFC 6152 allows that or a conversion; Outbox does not convert).
 *
 * <p>Threading: one thread at a time, but {@link #abort} from any. Misuse: send after close
 * throws {@link IllegalStateException}.
 */
final class SmtpSession implements Deliverer.Connection {

    private static final Logger LOG = Logger.getLogger(SmtpSession.class.getName());

    private final NextHop nextHop;
    private final RecordingSocketFactory sockets;
    private final ScheduledExecutorService timeouts;
    // Set by open's attempts, before the session is handed out; then read by its one thread.
    private SmtpTransport transport;
    private String tlsDescription = "no TLS";
    /** The connection's bytes once open, and what the server offered that a transaction uses. */
    private SmtpWire wire;
    private boolean pipelining;
    private boolean eightBitMime;
    private boolean closed; // our own flag: Angus's isConnected() costs a NOOP round trip
    private volatile boolean broken;
    /** Set by {@link #abort} (a deadline, the queue's stop or sweep): a break of Outbox's own, which whenPeerBreaks is not told of. */
    private volatile boolean aborted;
    /** Told once when the peer breaks the connection (421, or no reply): the deliverer then tries that host last. */
    private volatile Runnable whenPeerBreaks;
    /** The name of the host at the other end, for delivery status notices: the MX host's name, or the smarthost's. */
    private volatile String remoteHost;

    private SmtpSession(NextHop nextHop, RecordingSocketFactory sockets, ScheduledExecutorService timeouts) {
        this.nextHop = nextHop;
        this.sockets = sockets;
        this.timeouts = timeouts;
    }

    /**
     * Connects to {@code nextHop}, which is {@code peer}, and completes the greeting, EHLO, STARTTLS
     * and AUTH within {@code budget}, with Jakarta Mail Sessions of its own (a deliverer's
     * connections share theirs).
     */
    static SmtpSession open(NextHop nextHop, Peer peer, SmtpSettings settings, ScheduledExecutorService timeouts, Duration budget)
            throws MessagingException {
        return open(nextHop, peer, new MailSessions(settings, timeouts), budget, new Abort());
    }

    /**
     * As {@link #open(NextHop, Peer, SmtpSettings, ScheduledExecutorService, Duration)}, with the
     * settings, timer thread and Sessions of {@code sessions}; firing {@code abort} closes the
     * session's socket, from now on.
     *
     * @param peer whether {@code nextHop} is the configured smarthost (its certificate verified
     *             under required TLS, and AUTH when a login is set) or an MX host
     * @throws MessagingException when no connection could be had, with the reason
     */
    static SmtpSession open(NextHop nextHop, Peer peer, MailSessions sessions, Duration budget, Abort abort) throws MessagingException {
        Objects.requireNonNull(peer, "peer");
        SmtpSession opened = new SmtpSession(nextHop, new RecordingSocketFactory(), sessions.timeouts());
        abort.onFire(opened::abort); // hooked before the socket exists: its factory closes any socket made after
        ScheduledFuture<?> deadline = opened.deadline(budget);
        try {
            opened.connect(peer, sessions, peer == Peer.SMARTHOST ? sessions.settings().login() : null);
        } catch (MessagingException | RuntimeException e) {
            opened.sockets.close();
            throw e;
        } finally {
            deadline.cancel(false);
        }
        return opened;
    }

    /** The first attempt, with STARTTLS as the policy says; under opportunistic TLS, a second in plain text when STARTTLS failed. */
    private void connect(Peer peer, MailSessions sessions, SmarthostLogin login) throws MessagingException {
        SmtpSettings settings = sessions.settings();
        TlsPolicy policy = settings.tls();
        if (policy == TlsPolicy.NONE) {
            attempt(sessions, login, null);
            return;
        }
        boolean verify = policy == TlsPolicy.REQUIRED && peer == Peer.SMARTHOST;
        // Credentials go in plain text only where the login allows it: until then STARTTLS is as good as required.
        boolean required = policy == TlsPolicy.REQUIRED || (login != null && !login.withoutTls());
        StartTls startTls = new StartTls(
                new RecordingSslSocketFactory(verify ? settings.verifyingSocketFactory() : TlsContexts.unverified()), required, verify);
        try {
            attempt(sessions, login, startTls);
        } catch (MessagingException e) {
            MessagingException failure = explain(e, policy, login, required);
            if (policy != TlsPolicy.OPPORTUNISTIC || required || transport.startTlsFailure() == null || broken) {
                throw failure;
            }
            LOG.warning(() -> "Outbox: " + failure.getMessage() + "; connecting to " + nextHop
                    + " once more without TLS, as outbox.tls=opportunistic allows");
            attempt(sessions, login, null);
        }
    }

    /** One connection: greeting, EHLO, STARTTLS when {@code startTls} is not null, AUTH when {@code login} is not null. */
    private void attempt(MailSessions sessions, SmarthostLogin login, StartTls startTls) throws MessagingException {
        SmtpSettings settings = sessions.settings();
        MailSessions.Kind kind = startTls == null
                ? new MailSessions.Kind(false, false, false, login != null)
                : new MailSessions.Kind(true, startTls.required(), startTls.verify(), login != null);
        transport = new SmtpTransport(sessions.session(kind));
        RecordingSslSocketFactory tlsSockets = startTls != null ? startTls.sockets() : null;
        if (login == null) {
            sessions.connecting(sockets, tlsSockets, () -> transport.connect(nextHop.host(), nextHop.port(), null, null));
        } else {
            try {
                sessions.connecting(sockets, tlsSockets,
                        () -> transport.connect(nextHop.host(), nextHop.port(), login.username(), login.password().reveal()));
            } catch (AuthenticationFailedException e) {
                // The server's reply, without the password should it echo what it was sent; no cause, whose text would be unscrubbed.
                throw new MessagingException(nextHop + " refused AUTH for user \"" + login.username() + "\": "
                        + login.password().scrub(describe(e), login.username()));
            }
            if (!transport.supportsExtension("AUTH") && !transport.supportsExtension("AUTH=LOGIN")) {
                closeQuietly();
                throw new MessagingException("smarthost " + nextHop + " does not offer AUTH, but outbox.smarthost-username is set (\""
                        + login.username() + "\"); Outbox sends no mail to it unauthenticated");
            }
        }
        tlsDescription = startTls != null ? startTls.sockets().description() : "no TLS";
        Socket live = startTls != null && startTls.sockets().started() ? startTls.sockets().socket() : sockets.socket();
        try {
            live.setSoTimeout((int) Math.min(Integer.MAX_VALUE, settings.readTimeout().toMillis()));
            // The write timeout closes the socket as the peer's doing, not as abort(): the send then
            // finds no reply, breaks the connection and tells whenPeerBreaks, as Angus's write timeout did.
            wire = new SmtpWire(live, sockets.socket(), timeouts, settings.writeTimeout(), sockets::close);
        } catch (IOException e) {
            closeQuietly();
            throw new MessagingException("cannot use the connection to " + nextHop + ": " + describe(e), e);
        }
        pipelining = transport.supportsExtension("PIPELINING");
        eightBitMime = transport.supportsExtension("8BITMIME");
    }

    /** The reason a connection attempt with STARTTLS failed, for the queue's RETRY line: what failed with TLS and why. */
    private MessagingException explain(MessagingException e, TlsPolicy policy, SmarthostLogin login, boolean tlsRequired) {
        String forLogin = login != null && !login.withoutTls() && policy != TlsPolicy.REQUIRED
                ? "; Outbox sends the credentials of \"" + login.username() + "\" only over TLS (outbox.smarthost-auth-without-tls=true allows plain text)"
                : "";
        if (transport.startTlsFailure() != null) {
            return new MessagingException("STARTTLS with " + nextHop + " failed: " + describe(transport.startTlsFailure()) + forLogin);
        }
        if (tlsRequired && transport.greeted() && !transport.offeredStartTls() && !broken) {
            return new MessagingException(policy == TlsPolicy.REQUIRED
                    ? "TLS is required (outbox.tls=required), but " + nextHop + " does not offer STARTTLS"
                    : nextHop + " does not offer STARTTLS" + forLogin);
        }
        return e;
    }

    /** How one attempt starts TLS: through which factory, whether a server without STARTTLS fails it, whether the certificate is verified. */
    private record StartTls(RecordingSslSocketFactory sockets, boolean required, boolean verify) {
    }

    /** "TLSv1.3 TLS_AES_256_GCM_SHA384", or "no TLS" when the connection is in plain text. */
    @Override
    public String tlsDescription() {
        return tlsDescription;
    }

    /**
     * Transfers {@code content} to the recipients of {@code envelope} within {@code budget} and
     * returns one outcome per recipient, in envelope order. A recipient is delivered only if the
     * server took the data with 2xx; an address refused at RCPT gets that reply; the rest share
     * the reply to MAIL or DATA, or are deferred with no code when the connection broke.
     */
    @Override
    public List<RecipientOutcome> send(Envelope envelope, byte[] content, Duration budget) {
        return send(envelope, content, budget, () -> {
        });
    }

    /**
     * As {@link #send(Envelope, byte[], Duration)}, running {@code meanwhile} once the first
     * commands are written (pipelined: MAIL, the RCPTs and DATA; else MAIL), before their
     * replies are read: see {@link Deliverer.Connection#send(Envelope, byte[], Duration, Runnable)}.
     */
    @Override
    public List<RecipientOutcome> send(Envelope envelope, byte[] content, Duration budget, Runnable meanwhile) {
        Once once = new Once(meanwhile);
        if (closed) {
            once.run();
            throw new IllegalStateException("SMTP session to " + nextHop + " is closed");
        }
        List<RecipientOutcome> outcomes;
        try {
            ScheduledFuture<?> deadline = deadline(budget);
            try {
                outcomes = transfer(envelope, content, once);
            } finally {
                deadline.cancel(false);
            }
        } catch (RuntimeException | Error e) {
            if (once.failed()) {
                // The caller's own failure, between this message's commands and its data: the server
                // must never see the data's end, so the connection goes, and the transaction with it.
                broken = true;
                sockets.close();
            }
            throw e;
        } finally {
            once.run(); // nothing written (8-bit refused, the deliverer stopping): still run, as promised
        }
        for (RecipientOutcome outcome : outcomes) {
            // No reply (a timeout, a reset, EOF) or 421 (the server is closing): this connection carries nothing more.
            if (outcome.status() == Status.DEFERRED && (outcome.replyCode() <= 0 || outcome.replyCode() == 421)) {
                broken = true;
            }
        }
        Runnable hook = whenPeerBreaks;
        // transfer sets broken itself when the transaction left the connection unusable: whether we aborted is what tells the two apart
        if (broken && !aborted && hook != null) { // the peer broke it, not our deadline or abort
            whenPeerBreaks = null;
            hook.run();
        }
        return outcomes;
    }

    /** Runs {@code hook} once if the peer breaks this connection during a transfer (421, or no reply), not when it is aborted. */
    /** Names the host at the other end (an MX host reached at one of its addresses): what a notice's Remote-MTA says. */
    void remoteHost(String name) {
        remoteHost = name;
    }

    @Override
    public String remoteHost() {
        String name = remoteHost;
        return name != null ? name : nextHop.host();
    }

    void whenPeerBreaks(Runnable hook) {
        whenPeerBreaks = hook;
    }

    @Override
    public boolean isBroken() {
        return broken || closed;
    }

    @Override
    public void abort() {
        aborted = true;
        broken = true;
        sockets.close();
    }

    /** Closes the socket when {@code budget} has passed, unless cancelled first. */
    private ScheduledFuture<?> deadline(Duration budget) {
        try {
            return timeouts.schedule(this::abort, budget.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            abort(); // the deliverer is closed: the adapter is stopping
            throw new IllegalStateException("SMTP deliverer is closed: the adapter is stopping", e);
        }
    }

    private List<RecipientOutcome> transfer(Envelope envelope, byte[] content, Once meanwhile) {
        List<String> recipients = envelope.recipients();
        String mailCommand = "MAIL FROM:<" + envelope.reversePath() + ">"; // checked by Envelope: nothing there can break the command
        if (hasEightBit(content)) {
            if (!eightBitMime) {
                return RecipientOutcome.all(recipients, Status.FAILED, 0, "5.6.3 the message has 8-bit content and " + nextHop
                        + " does not offer 8BITMIME (RFC 6152); Outbox does not convert it to 7 bits");
            }
            mailCommand += " BODY=8BITMIME";
        }
        MailTransaction transaction = new MailTransaction(wire, pipelining);
        List<RecipientOutcome> outcomes = transaction.send(mailCommand, recipients, content, meanwhile);
        if (transaction.leftBroken()) {
            broken = true;
        }
        return outcomes;
    }

    /** True when {@code content} has a byte over 127: it needs 8BITMIME. */
    static boolean hasEightBit(byte[] content) {
        for (byte b : content) {
            if (b < 0) {
                return true;
            }
        }
        return false;
    }

    /** The failure and its causes in one line, for a recipient whose attempt ended without a reply. */
    static String describe(Exception e) {
        StringBuilder text = new StringBuilder();
        for (Throwable t = e; t != null && text.length() < 400; t = t.getCause() == t ? null : t.getCause()) {
            if (!text.isEmpty()) {
                text.append(": ");
            }
            text.append(t.getMessage() != null ? t.getMessage().strip() : t.getClass().getSimpleName());
        }
        return text.toString();
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly();
    }

    private void closeQuietly() {
        try {
            transport.close(); // QUIT, bounded by the write timeout; no wait for its reply
        } catch (MessagingException | RuntimeException e) {
            // QUIT failed: the messages were already acknowledged or classified; nothing is lost.
        } finally {
            sockets.close();
            if (wire != null) {
                wire.close();
            }
        }
    }
}
