package dev.outbox.delivery;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * The TLS socket factory of one connection attempt of an {@link SmtpSession}: Angus layers
 * STARTTLS's socket over the plain one through it (the shared Session's
 * {@code mail.smtp.ssl.socketFactory} hands the call to it, {@link MailSessions}), and it
 * keeps that socket, because Angus shows no {@link SSLSession}: {@link #description()} names the
 * protocol and cipher suite negotiated. The plain socket stays with
 * {@link RecordingSocketFactory}, which closes it (and so this one) at the deadline.
 *
 * <p>Threading: made and read on the session's thread. Misuse: Angus asks only for a layered
 * socket; the other factory methods throw {@link UnsupportedOperationException}.
 */
final class RecordingSslSocketFactory extends SSLSocketFactory {

    private final SSLSocketFactory delegate;
    private SSLSocket socket;

    RecordingSslSocketFactory(SSLSocketFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public Socket createSocket(Socket plain, String host, int port, boolean autoClose) throws IOException {
        SSLSocket made = (SSLSocket) delegate.createSocket(plain, host, port, autoClose);
        socket = made;
        return made;
    }

    /** The TLS socket over the plain one, once STARTTLS was accepted; else null. */
    SSLSocket socket() {
        return socket;
    }

    /** True once STARTTLS was accepted and a handshake begun (whether or not it succeeded). */
    boolean started() {
        return socket != null;
    }

    /**
     * "TLSv1.3 TLS_AES_256_GCM_SHA384" for the handshake Angus completed, or "no TLS". Call it
     * only after the connection was made: on a socket whose handshake has not run, asking for its
     * session would start one.
     */
    String description() {
        if (socket == null) {
            return "no TLS";
        }
        SSLSession session = socket.getSession();
        return session.getProtocol() + " " + session.getCipherSuite();
    }

    @Override
    public String[] getDefaultCipherSuites() {
        return delegate.getDefaultCipherSuites();
    }

    @Override
    public String[] getSupportedCipherSuites() {
        return delegate.getSupportedCipherSuites();
    }

    @Override
    public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException("Outbox starts TLS only over its own plain socket");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException("Outbox starts TLS only over its own plain socket");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException("Outbox starts TLS only over its own plain socket");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException("Outbox starts TLS only over its own plain socket");
    }
}
