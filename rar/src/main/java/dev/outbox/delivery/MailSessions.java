package dev.outbox.delivery;

import jakarta.mail.MessagingException;
import jakarta.mail.Session;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import javax.net.SocketFactory;
import javax.net.ssl.SSLSocketFactory;

/**
 * The Jakarta Mail {@link Session}s of one deliverer, one per {@link Kind} of connection, made
 * once and shared by all its connections: {@code Session.getInstance} reads the provider lists
 * from the class path each time, which was most of what opening a connection cost in CPU. A
 * kind is what differs between the Sessions' properties: STARTTLS or not, whether it is required,
 * whether the server's identity is checked, AUTH or not; the rest (EHLO name, timeouts, the
 * shared timer thread) is the settings', the same for every kind. There are at most sixteen
 * kinds, and the Sessions go with the deliverer.
 *
 * <p>What belongs to one connection stays out of the Session. The host and port go to
 * {@code connect} (Angus reads {@code mail.smtp.host} and {@code .port} only when it is given
 * none), and so does the password, which only the transport keeps ({@link SmtpTransport} takes
 * back the record {@code Service.connect} files in the Session for a connection without one).
 * The sockets are made by the connection's {@link RecordingSocketFactory} and
 * {@link RecordingSslSocketFactory}, which keep them so that the connection can be aborted: the
 * Session's socket factories hand each call to those of the connection that {@link #connecting}
 * runs on the calling thread. Angus makes both sockets on that thread, within
 * {@code SMTPTransport.connect}: the plain one in {@code SocketFetcher.getSocket}, the TLS one in
 * {@code SocketFetcher.startTLS} (after EHLO, or when AUTH is answered 530).
 *
 * <p>{@link #session} gives the Session of a kind; {@link #connecting} runs a connect with the
 * connection's factories; {@link #settings()} and {@link #timeouts()} are what the Sessions were
 * made with.
 *
 * <p>Threading: thread-safe. Misuse: a socket asked of a Session's factories by a thread that is
 * not within {@link #connecting} throws {@link IllegalStateException}.
 */
final class MailSessions {

    private final SmtpSettings settings;
    private final ScheduledExecutorService timeouts;
    private final Map<Kind, Session> sessions = new ConcurrentHashMap<>();
    /** The factories of the connection being made on each thread, while {@link #connecting} runs. */
    private final ThreadLocal<Sockets> connection = new ThreadLocal<>();
    private final SocketFactory plainSockets = new PlainSockets();
    private final SSLSocketFactory tlsSockets = new TlsSockets();

    /** Sessions for {@code settings}, whose Angus write timeouts run on {@code timeouts}. */
    MailSessions(SmtpSettings settings, ScheduledExecutorService timeouts) {
        this.settings = settings;
        this.timeouts = timeouts;
    }

    /**
     * What a Session's properties say beyond the settings.
     *
     * @param startTls STARTTLS when offered
     * @param required a server without STARTTLS fails the connection (only with startTls)
     * @param verify   the server's host name is checked against its certificate (only with startTls)
     * @param auth     AUTH PLAIN or LOGIN with the username and password given to connect
     */
    record Kind(boolean startTls, boolean required, boolean verify, boolean auth) {
    }

    /** The one Session of {@code kind}, made on first use. */
    Session session(Kind kind) {
        return sessions.computeIfAbsent(kind, this::make);
    }

    /** The connection's own factories, for the duration of one {@link #connecting} call. */
    private record Sockets(RecordingSocketFactory plain, RecordingSslSocketFactory tls) {
    }

    /** What a connect does, between the handing over of the factories and their return. */
    interface Connect {
        void run() throws MessagingException;
    }

    /**
     * Runs {@code connect} on this thread with every socket the Sessions' factories are asked for
     * made by {@code plain}, and the TLS one by {@code tls} (null when the connection does not
     * start TLS).
     */
    void connecting(RecordingSocketFactory plain, RecordingSslSocketFactory tls, Connect connect) throws MessagingException {
        if (connection.get() != null) {
            throw new IllegalStateException("a connection is already being made on this thread");
        }
        connection.set(new Sockets(plain, tls));
        try {
            connect.run();
        } finally {
            connection.remove();
        }
    }

    SmtpSettings settings() {
        return settings;
    }

    ScheduledExecutorService timeouts() {
        return timeouts;
    }

    private Session make(Kind kind) {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.localhost", settings.heloName());
        properties.setProperty("mail.smtp.connectiontimeout", Long.toString(settings.connectTimeout().toMillis()));
        properties.setProperty("mail.smtp.timeout", Long.toString(settings.readTimeout().toMillis()));
        properties.setProperty("mail.smtp.writetimeout", Long.toString(settings.writeTimeout().toMillis()));
        properties.put("mail.smtp.executor.writetimeout", timeouts); // one shared thread, not one per connection
        // QUIT's reply changes nothing: every message was settled before it.
        properties.setProperty("mail.smtp.quitwait", "false");
        properties.put("mail.smtp.socketFactory", plainSockets);
        properties.setProperty("mail.smtp.socketFactory.fallback", "false"); // a socket we cannot close at the deadline is no socket
        if (kind.startTls()) {
            properties.setProperty("mail.smtp.starttls.enable", "true");
            properties.setProperty("mail.smtp.starttls.required", Boolean.toString(kind.required()));
            properties.put("mail.smtp.ssl.socketFactory", tlsSockets); // layered over the plain socket, which stays ours to close
            properties.setProperty("mail.smtp.ssl.checkserveridentity", Boolean.toString(kind.verify()));
        }
        if (kind.auth()) {
            properties.setProperty("mail.smtp.auth", "true");
            properties.setProperty("mail.smtp.auth.mechanisms", "PLAIN LOGIN");
        }
        return Session.getInstance(properties);
    }

    private Sockets current() {
        Sockets sockets = connection.get();
        if (sockets == null) {
            throw new IllegalStateException("Outbox's SMTP sockets are made only while one of its connections connects, on its thread");
        }
        return sockets;
    }

    private RecordingSslSocketFactory currentTls() {
        RecordingSslSocketFactory tls = current().tls();
        if (tls == null) {
            throw new IllegalStateException("the connection being made on this thread starts no TLS");
        }
        return tls;
    }

    /** The Sessions' plain socket factory: each call made by the factory of the connection being made on this thread. */
    private final class PlainSockets extends SocketFactory {

        @Override
        public Socket createSocket() throws IOException {
            return current().plain().createSocket();
        }

        @Override
        public Socket createSocket(String host, int port) {
            return current().plain().createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
            return current().plain().createSocket(host, port, localHost, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            return current().plain().createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
            return current().plain().createSocket(address, port, localAddress, localPort);
        }

        @Override
        public String toString() {
            return "Outbox's socket factory of the connection being made";
        }
    }

    /** The Sessions' TLS socket factory: each call made by the TLS factory of the connection being made on this thread. */
    private final class TlsSockets extends SSLSocketFactory {

        @Override
        public Socket createSocket(Socket plain, String host, int port, boolean autoClose) throws IOException {
            return currentTls().createSocket(plain, host, port, autoClose);
        }

        @Override
        public String[] getDefaultCipherSuites() {
            return currentTls().getDefaultCipherSuites();
        }

        @Override
        public String[] getSupportedCipherSuites() {
            return currentTls().getSupportedCipherSuites();
        }

        @Override
        public Socket createSocket(String host, int port) {
            return currentTls().createSocket(host, port);
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
            return currentTls().createSocket(host, port, localHost, localPort);
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            return currentTls().createSocket(host, port);
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
            return currentTls().createSocket(address, port, localAddress, localPort);
        }

        @Override
        public String toString() {
            return "Outbox's TLS socket factory of the connection being made";
        }
    }
}
