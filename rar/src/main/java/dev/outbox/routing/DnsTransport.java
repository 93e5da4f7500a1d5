package dev.outbox.routing;

import org.xbill.DNS.Message;
import org.xbill.DNS.io.IoClientFactory;
import org.xbill.DNS.io.TcpIoClient;
import org.xbill.DNS.io.UdpIoClient;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * How one query to one DNS server travels: over a plain UDP or TCP socket, on the calling thread,
 * done by its deadline. dnsjava's {@code SimpleResolver} builds the query, parses the answer and
 * falls back to TCP when the UDP answer is truncated; it hands the bytes to this transport
 * through its {@link IoClientFactory} seam (dnsjava 3.6) instead of to its own NIO client.
 *
 * <p>Why not dnsjava's NIO client: it runs every query of the class loader on one static
 * selector thread, which in 3.6.4 an unexpected exception can end for good (every later query
 * then times out), and which {@code NioClient.close()} leaves alive, joining itself. This
 * transport has no thread of its own and no static state: a resource adapter that stops leaves
 * nothing behind.
 *
 * <p>Each exchange opens its own socket: UDP from an ephemeral port chosen by the system,
 * connected to the server so that datagrams from elsewhere never arrive; TCP one connection per
 * query (RFC 7766 allows it). An answer whose message ID is not the query's is ignored and the
 * wait goes on (a late answer to an earlier query). Waits end at the earlier of dnsjava's timeout
 * and this transport's deadline, with {@link SocketTimeoutException}.
 *
 * <p>One instance serves one attempt (its UDP exchange and any TCP retry) and is not shared.
 * While a socket is open it is in its lookup ({@link NameServers.Lookup}), so that cancelling
 * the lookup or {@link NameServers#close()} can close it from another thread and end the wait at once.
 */
final class DnsTransport implements IoClientFactory, UdpIoClient, TcpIoClient {

    /** Large enough for any UDP answer, whatever the EDNS size the query offered. */
    private static final int MAX_DATAGRAM = 65535;
    private static final long NANOS_PER_MILLI = TimeUnit.MILLISECONDS.toNanos(1);

    private final long deadlineNanos;
    private final NameServers.Lookup inFlight;

    DnsTransport(long deadlineNanos, NameServers.Lookup inFlight) {
        this.deadlineNanos = deadlineNanos;
        this.inFlight = inFlight;
    }

    @Override
    public TcpIoClient createOrGetTcpClient() {
        return this;
    }

    @Override
    public UdpIoClient createOrGetUdpClient() {
        return this;
    }

    @Override
    public CompletableFuture<byte[]> sendAndReceiveUdp(InetSocketAddress local, InetSocketAddress remote, Message query,
                                                       byte[] data, int max, Duration timeout) {
        long end = end(timeout);
        DatagramSocket socket = null;
        try {
            socket = local == null ? new DatagramSocket() : new DatagramSocket(local);
            inFlight.opened(socket);
            socket.connect(remote);
            socket.send(new DatagramPacket(data, data.length));
            byte[] buffer = new byte[MAX_DATAGRAM];
            while (true) {
                socket.setSoTimeout(millisUntil(end, timeout));
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                socket.receive(packet);
                if (packet.getLength() >= 2 && id(buffer) == query.getHeader().getID()) {
                    return CompletableFuture.completedFuture(Arrays.copyOf(buffer, packet.getLength()));
                }
            }
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            if (socket != null) {
                inFlight.closed(socket);
                socket.close();
            }
        }
    }

    @Override
    public CompletableFuture<byte[]> sendAndReceiveTcp(InetSocketAddress local, InetSocketAddress remote, Message query,
                                                       byte[] data, Duration timeout) {
        long end = end(timeout);
        Socket socket = new Socket();
        try (socket) {
            inFlight.opened(socket);
            if (local != null) {
                socket.bind(local);
            }
            socket.connect(remote, millisUntil(end, timeout));
            OutputStream out = socket.getOutputStream();
            byte[] framed = new byte[data.length + 2];
            framed[0] = (byte) (data.length >>> 8);
            framed[1] = (byte) data.length;
            System.arraycopy(data, 0, framed, 2, data.length);
            out.write(framed);
            out.flush();
            InputStream in = socket.getInputStream();
            while (true) {
                byte[] length = readFully(socket, in, new byte[2], end, timeout);
                byte[] answer = readFully(socket, in, new byte[((length[0] & 0xFF) << 8) | (length[1] & 0xFF)], end, timeout);
                if (answer.length >= 2 && id(answer) == query.getHeader().getID()) {
                    return CompletableFuture.completedFuture(answer);
                }
            }
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        } finally {
            inFlight.closed(socket);
        }
    }

    /** Fills {@code buffer} from {@code in}, every read waiting only what is left until {@code end}: a server that trickles cannot stretch it. */
    private static byte[] readFully(Socket socket, InputStream in, byte[] buffer, long end, Duration timeout) throws IOException {
        int filled = 0;
        while (filled < buffer.length) {
            socket.setSoTimeout(millisUntil(end, timeout));
            int read = in.read(buffer, filled, buffer.length - filled);
            if (read < 0) {
                throw new EOFException("the server closed the TCP connection after " + filled + " of " + buffer.length + " bytes");
            }
            filled += read;
        }
        return buffer;
    }

    private long end(Duration timeout) {
        long byTimeout = System.nanoTime() + timeout.toNanos();
        return byTimeout - deadlineNanos < 0 ? byTimeout : deadlineNanos;
    }

    /**
     * What is left until {@code end}, in whole milliseconds rounded up (a socket's timeout must
     * not end the wait before {@code end}), at least 1 (0 would mean "forever" to a socket).
     */
    private static int millisUntil(long end, Duration timeout) throws SocketTimeoutException {
        long left = end - System.nanoTime();
        if (left <= 0) {
            throw new SocketTimeoutException("no answer within " + timeout.toMillis() + " ms");
        }
        long millis = (left + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI;
        return (int) Math.min(Integer.MAX_VALUE, millis);
    }

    private static int id(byte[] message) {
        return ((message[0] & 0xFF) << 8) | (message[1] & 0xFF);
    }
}
