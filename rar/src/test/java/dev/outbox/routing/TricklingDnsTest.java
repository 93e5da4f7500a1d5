package dev.outbox.routing;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Section;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a DNS server answering over TCP one byte at a time cannot hold a lookup past its
 * time limit: DnsTransport sets the socket's timeout to what is left of the deadline before it
 * starts reading an answer, but reads the answer's bytes with readFully, whose every read may
 * wait that long again, so a server that sends a byte just before each wait runs out keeps the
 * delivery thread for as long as it likes. The UDP answer says TC, as a real server's does for
 * an answer too long for UDP, so the query goes again over TCP.
 */
class TricklingDnsTest {

    private static final Duration LOOKUP_TIMEOUT = Duration.ofSeconds(2);
    /** The trickle's pace; the answer's ~60 bytes take about 6 s, three times the lookup's limit. */
    private static final long BYTE_EVERY_MILLIS = 100;

    private final DatagramSocket udp;
    private final ServerSocket tcp;
    private final Thread udpThread;
    private final Thread tcpThread;

    TricklingDnsTest() throws IOException {
        InetAddress loopback = InetAddress.getByName("127.0.0.5");
        udp = new DatagramSocket(new InetSocketAddress(loopback, 0));
        tcp = new ServerSocket();
        tcp.bind(new InetSocketAddress(loopback, udp.getLocalPort()));
        udpThread = start("trickling-dns-udp", this::serveUdp);
        tcpThread = start("trickling-dns-tcp", this::serveTcp);
    }

    @AfterEach
    void stopTheServer() throws Exception {
        udp.close();
        tcp.close();
        udpThread.join(5_000);
        tcpThread.join(5_000);
    }

    @Test
    void anAnswerTrickledOverTcpEndsAtTheLookupTimeLimit() {
        DnsSettings settings = DnsSettings.defaults().withServers(List.of(new DnsServer("127.0.0.5", udp.getLocalPort())))
                .withTimeouts(LOOKUP_TIMEOUT, LOOKUP_TIMEOUT).withPreferIPv4Stack(true);
        try (MxResolver resolver = new MxResolver(settings, java.time.Clock.systemUTC(), new Random(7))) {
            long began = System.nanoTime();
            Route route = resolver.resolve("trickle.example");
            long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);

            assertTrue(took <= LOOKUP_TIMEOUT.toMillis() + 1_500, "a lookup limited to " + LOOKUP_TIMEOUT.toMillis()
                    + " ms took " + took + " ms, reading an answer one byte at a time; route " + route);
            assertInstanceOf(Route.Defer.class, route);
        }
    }

    /** Answers every UDP query with TC set and no records: ask again over TCP. */
    private void serveUdp() {
        byte[] buffer = new byte[512];
        while (!udp.isClosed()) {
            try {
                DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
                udp.receive(packet);
                Message query = new Message(java.util.Arrays.copyOf(buffer, packet.getLength()));
                Message response = new Message(query.getHeader().getID());
                response.getHeader().setFlag(Flags.QR);
                response.getHeader().setFlag(Flags.RA);
                response.getHeader().setFlag(Flags.TC);
                response.addRecord(query.getQuestion(), Section.QUESTION);
                byte[] wire = response.toWire();
                udp.send(new DatagramPacket(wire, wire.length, packet.getSocketAddress()));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Answers each TCP query with a real MX answer, its length at once and then one byte every {@link #BYTE_EVERY_MILLIS}. */
    private void serveTcp() {
        while (!tcp.isClosed()) {
            try (Socket socket = tcp.accept()) {
                DataInputStream in = new DataInputStream(socket.getInputStream());
                byte[] wire = new byte[in.readUnsignedShort()];
                in.readFully(wire);
                Message query = new Message(wire);
                Message response = new Message(query.getHeader().getID());
                response.getHeader().setFlag(Flags.QR);
                response.getHeader().setFlag(Flags.RA);
                response.addRecord(query.getQuestion(), Section.QUESTION);
                Name domain = query.getQuestion().getName();
                response.addRecord(new MXRecord(domain, DClass.IN, 60, 10, Name.fromString("mx.trickle.example.")), Section.ANSWER);
                byte[] answer = response.toWire();
                OutputStream out = socket.getOutputStream();
                out.write(new byte[] {(byte) (answer.length >>> 8), (byte) answer.length});
                out.flush();
                for (byte b : answer) {
                    TimeUnit.MILLISECONDS.sleep(BYTE_EVERY_MILLIS); // the server's pace, not a wait of the test's
                    out.write(b);
                    out.flush();
                }
            } catch (IOException e) {
                if (tcp.isClosed()) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static Thread start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }
}
