package dev.outbox.delivery;

import javax.net.SocketFactory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;

/**
 * The socket factory of one {@link SmtpSession}: makes the session's plain socket (Angus asks
 * for it through the shared Session's factory, {@link MailSessions}, and connects it; a second
 * connection attempt gets a new one, and the earlier one is closed) and
 * keeps it, so that the session can close it from another thread when an
 * attempt passes its deadline or the queue aborts it. Closing the plain socket also ends any
 * wrapper over it (Angus's write-timeout socket, a TLS socket).
 *
 * <p>Threading: {@link #close} from any thread; a socket made after close is closed at once.
 */
final class RecordingSocketFactory extends SocketFactory {

    private Socket socket;
    private boolean closed;

    @Override
    public synchronized Socket createSocket() throws IOException {
        Socket made = new Socket();
        if (closed) {
            made.close();
        }
        if (socket != null) {
            socket.close(); // an earlier attempt's, already closed by Angus: one socket at a time all the same
        }
        socket = made;
        return made;
    }

    /** The socket made last (the one Angus connected), or null. */
    synchronized Socket socket() {
        return socket;
    }

    /** Closes the socket made, if any, and any made later. */
    void close() {
        Socket made;
        synchronized (this) {
            closed = true;
            made = socket;
        }
        if (made != null) {
            try {
                made.close();
            } catch (IOException e) {
                // closing is all that matters; the socket is unusable either way
            }
        }
    }

    // Angus asks only for an unconnected socket (createSocket()) and connects it itself.
    @Override
    public Socket createSocket(String host, int port) {
        throw new UnsupportedOperationException("Outbox's SMTP sockets are made unconnected");
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) {
        throw new UnsupportedOperationException("Outbox's SMTP sockets are made unconnected");
    }

    @Override
    public Socket createSocket(InetAddress host, int port) {
        throw new UnsupportedOperationException("Outbox's SMTP sockets are made unconnected");
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort) {
        throw new UnsupportedOperationException("Outbox's SMTP sockets are made unconnected");
    }
}
