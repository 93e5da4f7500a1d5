package dev.outbox.testing.dns;

import dev.outbox.testing.ServerThreads;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real DNS server in the test JVM, on a loopback address and one port for both UDP and TCP,
 * that answers authoritatively from records the test sets: what MX routing is tested against
 * instead of mocks. It owns its two sockets, one thread for UDP, one accepting TCP connections
 * and one per TCP connection (daemon threads named "test-dns-PORT-..."), the records, and the
 * count of questions asked.
 *
 * <ul>
 * <li>{@link #start()} listens on 127.0.0.1 and a free port; {@link #start(String)} on another
 *     loopback address (127.0.0.2, ...), so that several servers can stand for several hosts.
 *     {@link #server()} is the {@code host:port} text of the {@code outbox.dns-servers} setting.</li>
 * <li>Records: {@link #mx}, {@link #nullMx} (RFC 7505), {@link #a}, {@link #aaaa}, {@link #cname};
 *     {@link #remove(String)} drops every record of a name. Each gets the TTL set by
 *     {@link #ttl(Duration)} at the time it is added (default one hour); negative answers carry an
 *     SOA with {@link #negativeTtl(Duration)} (default five minutes). Names are absolute whether
 *     or not they end with a dot, and may use dnsjava's master-file escapes ({@code \013}) to put
 *     any byte in a label, as a hostile server could. How answers are built: {@link Zone}.</li>
 * <li>Faults: {@link #fault(String, Fault)} for every question about a name,
 *     {@link #fault(String, String, Fault)} for one type; {@link #heal(String)} removes them.</li>
 * <li>{@link #queries(String, String)} counts the questions about a name and type received so far
 *     (faulted ones included), so a test can prove what a cache saved; {@link #queries()} all.</li>
 * <li>UDP answers longer than the client allows (512 bytes, or its EDNS payload size) are cut
 *     and flagged TC, so the client asks again over TCP, as with a real server.</li>
 * <li>{@link #close()} closes both sockets and every TCP connection, waits a bounded time for
 *     every thread it started to end, and throws when one has not or when the server failed
 *     during the run (on its own threads, where the test would not see it).</li>
 * </ul>
 *
 * <p>Threading: everything public may be called from any thread, before or while clients ask;
 * a change applies from the next question on.
 *
 * <p>Misuse: a name or address that does not parse throws {@link IllegalArgumentException}
 * naming it; an address that cannot be bound throws {@link UncheckedIOException}; configuring it
 * after {@link #close()} throws {@link IllegalStateException}.
 */
public final class TestDns implements AutoCloseable {

    private static final Duration JOIN_BOUND = Duration.ofSeconds(5);
    private static final int BIND_ATTEMPTS = 20;
    /** Without EDNS, RFC 1035's limit for UDP. */
    private static final int PLAIN_UDP_LIMIT = 512;
    private static final int MAX_MESSAGE = 65535;

    private final String host;
    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Zone zone = new Zone();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final ServerThreads threads;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger connectionNumbers = new AtomicInteger();

    private TestDns(String host, DatagramSocket udp, ServerSocket tcp) {
        this.host = host;
        this.udp = udp;
        this.tcp = tcp;
        this.threads = new ServerThreads("the DNS server " + server());
        startThread(this::serveUdp, "udp");
        startThread(this::acceptTcp, "tcp-accept");
    }

    /** A server on 127.0.0.1 and a free port. */
    public static TestDns start() {
        return start("127.0.0.1");
    }

    /** A server on {@code loopbackAddress} (any of 127.0.0.0/8) and a port free for both UDP and TCP there. */
    public static TestDns start(String loopbackAddress) {
        InetAddress address = parseAddress(loopbackAddress);
        if (!address.isLoopbackAddress()) {
            throw new IllegalArgumentException("test DNS server address " + loopbackAddress + " is not a loopback address");
        }
        IOException last = null;
        for (int attempt = 0; attempt < BIND_ATTEMPTS; attempt++) {
            DatagramSocket udp = null;
            try {
                udp = new DatagramSocket(new InetSocketAddress(address, 0));
                ServerSocket tcp = new ServerSocket();
                try {
                    tcp.setReuseAddress(true);
                    tcp.bind(new InetSocketAddress(address, udp.getLocalPort()), 50);
                } catch (IOException e) {
                    tcp.close();
                    throw e;
                }
                return new TestDns(address.getHostAddress(), udp, tcp);
            } catch (IOException e) {
                // The UDP port's TCP twin is taken: try another port.
                last = e;
                if (udp != null) {
                    udp.close();
                }
            }
        }
        throw new UncheckedIOException("found no port free for both UDP and TCP on " + loopbackAddress
                + " in " + BIND_ATTEMPTS + " attempts", last);
    }

    public String host() {
        return host;
    }

    public int port() {
        return udp.getLocalPort();
    }

    public InetSocketAddress address() {
        return new InetSocketAddress(udp.getLocalAddress(), port());
    }

    /** {@code host:port}, as the {@code outbox.dns-servers} setting names a server. */
    public String server() {
        return host + ":" + port();
    }

    /** The TTL of the records added from now on. */
    public TestDns ttl(Duration ttl) {
        zone.ttl(seconds(ttl));
        return this;
    }

    /** The TTL and SOA minimum of negative answers (NXDOMAIN, NODATA) from now on. */
    public TestDns negativeTtl(Duration ttl) {
        zone.negativeTtl(seconds(ttl));
        return this;
    }

    /** An MX record: mail for {@code domain} goes to {@code exchange} at {@code preference}. */
    public TestDns mx(String domain, int preference, String exchange) {
        return add(new MXRecord(name(domain), DClass.IN, zone.ttl(), preference, name(exchange)));
    }

    /** The null MX of RFC 7505: preference 0, exchange ".": {@code domain} accepts no mail. */
    public TestDns nullMx(String domain) {
        return mx(domain, 0, ".");
    }

    /** One A record per IPv4 address, for {@code name}. */
    public TestDns a(String name, String... addresses) {
        for (String address : addresses) {
            add(new ARecord(name(name), DClass.IN, zone.ttl(), addressBytes(address, Address.IPv4)));
        }
        return this;
    }

    /** One AAAA record per IPv6 address, for {@code name}. */
    public TestDns aaaa(String name, String... addresses) {
        for (String address : addresses) {
            add(new AAAARecord(name(name), DClass.IN, zone.ttl(), addressBytes(address, Address.IPv6)));
        }
        return this;
    }

    /** A CNAME: {@code alias} is another name for {@code target}. */
    public TestDns cname(String alias, String target) {
        return add(new CNAMERecord(name(alias), DClass.IN, zone.ttl(), name(target)));
    }

    /** Forgets every record of {@code name}: from now on it is NXDOMAIN (or NODATA, with names below it). */
    public TestDns remove(String name) {
        requireOpen();
        zone.remove(name(name));
        return this;
    }

    /** Every question about {@code name}, of any type, meets {@code fault}. */
    public TestDns fault(String name, Fault fault) {
        requireOpen();
        zone.fault(name(name), 0, Objects.requireNonNull(fault, "fault"));
        return this;
    }

    /** Questions about {@code name} of {@code type} ("MX", "A", "AAAA", ...) meet {@code fault}; before any fault of every type. */
    public TestDns fault(String name, String type, Fault fault) {
        requireOpen();
        zone.fault(name(name), type(type), Objects.requireNonNull(fault, "fault"));
        return this;
    }

    /** Removes every fault of {@code name}. */
    public TestDns heal(String name) {
        requireOpen();
        zone.heal(name(name));
        return this;
    }

    /** Questions received so far about {@code name} and {@code type}, answered or faulted. */
    public int queries(String name, String type) {
        return zone.queries(name(name), type(type));
    }

    /** Questions received so far, of every name and type. */
    public int queries() {
        return zone.queries();
    }

    /**
     * Closes both sockets and every TCP connection, and waits up to five seconds in all for the
     * threads it started to end. Throws {@link IllegalStateException} naming threads that did
     * not, or {@link AssertionError} when the server failed during the run. A second call does
     * nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        udp.close();
        try {
            tcp.close();
        } catch (IOException e) {
            threads.problem(new AssertionError("closing the TCP listener of " + server(), e));
        }
        connections.forEach(TestDns::closeQuietly);
        threads.join(JOIN_BOUND);
    }

    @Override
    public String toString() {
        return "TestDns[" + server() + ", " + queries() + " queries]";
    }

    private TestDns add(Record record) {
        requireOpen();
        zone.add(record);
        return this;
    }

    private void requireOpen() {
        if (closed.get()) {
            throw new IllegalStateException("DNS server " + server() + " is closed; changing its records changes nothing");
        }
    }

    private void startThread(Runnable body, String role) {
        threads.start("test-dns-" + port() + "-" + role, body);
    }

    private void serveUdp() {
        byte[] buffer = new byte[MAX_MESSAGE];
        while (!closed.get()) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udp.receive(packet);
            } catch (IOException e) {
                if (!closed.get()) {
                    threads.problem(new AssertionError("receiving on UDP " + server(), e));
                }
                return;
            }
            Message query = parse(buffer, packet.getLength());
            Message response = query == null ? null : zone.answer(query);
            if (response == null) {
                continue;
            }
            int limit = query.getOPT() == null ? PLAIN_UDP_LIMIT : Math.max(PLAIN_UDP_LIMIT, query.getOPT().getPayloadSize());
            byte[] wire = response.toWire(limit);
            try {
                udp.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
            } catch (IOException e) {
                if (!closed.get()) {
                    threads.problem(new AssertionError("answering over UDP to " + packet.getSocketAddress(), e));
                }
            }
        }
    }

    private void acceptTcp() {
        while (!closed.get()) {
            Socket socket;
            try {
                socket = tcp.accept();
            } catch (IOException e) {
                if (!closed.get()) {
                    threads.problem(new AssertionError("accepting on TCP " + server(), e));
                }
                return;
            }
            connections.add(socket);
            if (closed.get()) {
                closeQuietly(socket); // close() may have taken its snapshot of connections already
                return;
            }
            startThread(() -> serveTcp(socket), "tcp-" + connectionNumbers.incrementAndGet());
        }
    }

    /** Answers each length-prefixed query on one connection until the client or close() ends it. */
    private void serveTcp(Socket socket) {
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            while (true) {
                int length = in.readUnsignedShort();
                byte[] wire = new byte[length];
                in.readFully(wire);
                Message query = parse(wire, length);
                Message response = query == null ? null : zone.answer(query);
                if (response == null) {
                    continue;
                }
                byte[] answer = response.toWire(MAX_MESSAGE);
                out.writeShort(answer.length);
                out.write(answer);
                out.flush();
            }
        } catch (EOFException | SocketException e) {
            // The client closed its end, or close() closed the socket: the connection is over.
        } catch (IOException e) {
            if (!closed.get()) {
                threads.problem(new AssertionError("serving TCP connection from " + socket.getRemoteSocketAddress(), e));
            }
        } finally {
            connections.remove(socket);
        }
    }

    /** The query in {@code wire}, or null when it is not a DNS message (ignored, as servers do). */
    private static Message parse(byte[] wire, int length) {
        try {
            byte[] exact = new byte[length];
            System.arraycopy(wire, 0, exact, 0, length);
            return new Message(exact);
        } catch (IOException e) {
            return null;
        }
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing was all we wanted.
        }
    }

    static Name name(String text) {
        Objects.requireNonNull(text, "name");
        try {
            return Name.fromString(text, Name.root);
        } catch (TextParseException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not a DNS name: " + e.getMessage(), e);
        }
    }

    private static int type(String text) {
        int type = Type.value(Objects.requireNonNull(text, "type"));
        if (type < 0) {
            throw new IllegalArgumentException("\"" + text + "\" is not a DNS record type");
        }
        return type;
    }

    private static long seconds(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.toSeconds() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("TTL " + ttl + " is outside 0.." + Integer.MAX_VALUE + " s");
        }
        return ttl.toSeconds();
    }

    private static InetAddress parseAddress(String text) {
        try {
            return Address.getByAddress(Objects.requireNonNull(text, "address"));
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + text + "\" is not an IP address", e);
        }
    }

    private static byte[] addressBytes(String text, int family) {
        byte[] bytes = Address.toByteArray(Objects.requireNonNull(text, "address"), family);
        if (bytes == null) {
            throw new IllegalArgumentException("\"" + text + "\" is not an " + (family == Address.IPv4 ? "IPv4" : "IPv6") + " address");
        }
        return bytes;
    }
}
