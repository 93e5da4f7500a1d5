package dev.outbox.testing.dns;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the test DNS server with dnsjava's own stub resolver, over UDP and TCP: what it
 * answers, how it fails on purpose, what it counts, and that close() frees its ports and threads.
 */
class TestDnsTest {

    @AutoClose
    private final TestDns dns = TestDns.start();

    @Test
    void answersMxAAndAaaaAuthoritativelyWithTheChosenTtl() throws IOException {
        dns.ttl(Duration.ofSeconds(42))
                .mx("example.test", 10, "mx1.example.test")
                .mx("example.test", 20, "mx2.example.test")
                .a("mx1.example.test", "192.0.2.1", "192.0.2.2")
                .aaaa("mx1.example.test.", "2001:db8::1");

        Message mx = ask("example.test", Type.MX);
        assertEquals(Rcode.NOERROR, mx.getRcode());
        assertTrue(mx.getHeader().getFlag(Flags.AA));
        List<Record> answer = mx.getSection(Section.ANSWER);
        assertEquals(2, answer.size());
        MXRecord first = (MXRecord) answer.get(0);
        assertEquals(10, first.getPriority());
        assertEquals(Name.fromConstantString("mx1.example.test."), first.getTarget());
        assertEquals(42, first.getTTL());

        List<Record> a = ask("MX1.Example.Test", Type.A).getSection(Section.ANSWER);
        assertEquals(List.of(InetAddress.getByName("192.0.2.1"), InetAddress.getByName("192.0.2.2")),
                a.stream().map(r -> ((ARecord) r).getAddress()).toList());
        AAAARecord aaaa = (AAAARecord) ask("mx1.example.test", Type.AAAA).getSection(Section.ANSWER).get(0);
        assertEquals(InetAddress.getByName("2001:db8::1"), aaaa.getAddress());
    }

    @Test
    void nullMxIsOneRecordOfPreferenceZeroToTheRoot() throws IOException {
        dns.nullMx("nomail.test");

        List<Record> answer = ask("nomail.test", Type.MX).getSection(Section.ANSWER);
        assertEquals(1, answer.size());
        assertEquals(0, ((MXRecord) answer.get(0)).getPriority());
        assertEquals(Name.root, ((MXRecord) answer.get(0)).getTarget());
    }

    @Test
    void followsCnamesToTheTargetsRecords() throws IOException {
        dns.cname("mail.example.test", "alias.example.test").cname("alias.example.test", "host.example.test")
                .a("host.example.test", "192.0.2.7");

        List<Record> answer = ask("mail.example.test", Type.A).getSection(Section.ANSWER);
        assertEquals(3, answer.size(), answer.toString());
        assertInstanceOf(CNAMERecord.class, answer.get(0));
        assertInstanceOf(CNAMERecord.class, answer.get(1));
        assertEquals(InetAddress.getByName("192.0.2.7"), ((ARecord) answer.get(2)).getAddress());
    }

    @Test
    void unknownNamesAreNxdomainAndNamesWithoutThatTypeNodataBothWithTheNegativeTtl() throws IOException {
        dns.negativeTtl(Duration.ofSeconds(17)).a("host.sub.example.test", "192.0.2.1");

        Message nxdomain = ask("nowhere.example.test", Type.MX);
        assertEquals(Rcode.NXDOMAIN, nxdomain.getRcode());
        SOARecord soa = (SOARecord) nxdomain.getSection(Section.AUTHORITY).get(0);
        assertEquals(17, soa.getTTL());
        assertEquals(17, soa.getMinimum());

        Message nodata = ask("host.sub.example.test", Type.MX);
        assertEquals(Rcode.NOERROR, nodata.getRcode());
        assertTrue(nodata.getSection(Section.ANSWER).isEmpty());
        assertInstanceOf(SOARecord.class, nodata.getSection(Section.AUTHORITY).get(0));

        Message emptyNonTerminal = ask("sub.example.test", Type.A);
        assertEquals(Rcode.NOERROR, emptyNonTerminal.getRcode(), "a name with names below it exists");
        assertTrue(emptyNonTerminal.getSection(Section.ANSWER).isEmpty());
    }

    @Test
    void faultsApplyPerNameAndTypeUntilHealed() throws IOException {
        dns.a("flaky.test", "192.0.2.1").mx("flaky.test", 10, "mx.flaky.test")
                .fault("flaky.test", Fault.REFUSED)
                .fault("flaky.test", "A", Fault.SERVFAIL);

        assertEquals(Rcode.SERVFAIL, ask("flaky.test", Type.A).getRcode(), "the fault for the type wins");
        assertEquals(Rcode.REFUSED, ask("flaky.test", Type.MX).getRcode());

        dns.heal("flaky.test");
        assertEquals(Rcode.NOERROR, ask("flaky.test", Type.A).getRcode());
    }

    @Test
    void silenceLeavesTheQueryUnansweredOverUdpAndTcp() {
        dns.a("silent.test", "192.0.2.1").fault("silent.test", Fault.SILENCE);

        SimpleResolver udp = resolver(Duration.ofMillis(300));
        assertThrows(IOException.class, () -> udp.send(query("silent.test", Type.A)));
        SimpleResolver tcp = resolver(Duration.ofMillis(300));
        tcp.setTCP(true);
        assertThrows(IOException.class, () -> tcp.send(query("silent.test", Type.A)));
        assertEquals(2, dns.queries("silent.test", "A"), "both questions arrived; neither was answered");
    }

    @Test
    void aLongAnswerIsCutAndFlaggedOverUdpAndWholeOverTcp() throws IOException {
        for (int i = 1; i <= 120; i++) {
            dns.a("big.test", "198.51.100." + i);
        }

        SimpleResolver udpOnly = resolver(Duration.ofSeconds(5));
        udpOnly.setIgnoreTruncation(true);
        Message cut = udpOnly.send(query("big.test", Type.A));
        assertTrue(cut.getHeader().getFlag(Flags.TC));
        assertTrue(cut.getSection(Section.ANSWER).size() < 120);

        Message whole = ask("big.test", Type.A); // dnsjava asks again over TCP on TC
        assertFalse(whole.getHeader().getFlag(Flags.TC));
        assertEquals(120, whole.getSection(Section.ANSWER).size());
    }

    @Test
    void countsQuestionsPerNameAndType() throws IOException {
        dns.a("counted.test", "192.0.2.1");

        ask("counted.test", Type.A);
        ask("Counted.Test.", Type.A);
        ask("counted.test", Type.AAAA);

        assertEquals(2, dns.queries("counted.test", "A"));
        assertEquals(1, dns.queries("counted.test.", "AAAA"));
        assertEquals(0, dns.queries("counted.test", "MX"));
        assertEquals(3, dns.queries());
    }

    @Test
    void namesMayCarryAnyByteAsAHostileServerWould() throws IOException {
        dns.mx("evil.test", 10, "bad\\013\\010name.evil.test");

        MXRecord mx = (MXRecord) ask("evil.test", Type.MX).getSection(Section.ANSWER).get(0);
        byte[] label = mx.getTarget().getLabel(0);
        assertEquals('\r', label[4]);
        assertEquals('\n', label[5]);
    }

    @Test
    void listensOnOtherLoopbackAddressesOnly() {
        try (TestDns second = TestDns.start("127.0.0.2")) {
            assertEquals("127.0.0.2", second.host());
            assertEquals("127.0.0.2:" + second.port(), second.server());
        }
        assertThrows(IllegalArgumentException.class, () -> TestDns.start("192.0.2.1"));
        assertThrows(IllegalArgumentException.class, () -> TestDns.start("not an address"));
    }

    @Test
    void closeFreesBothPortsAndEndsItsThreads() throws IOException {
        TestDns server = TestDns.start();
        server.a("x.test", "192.0.2.1");
        SimpleResolver tcp = new SimpleResolver(server.address());
        tcp.setTCP(true);
        tcp.send(query("x.test", Type.A)); // leaves a TCP connection thread behind, for close() to end
        int port = server.port();

        server.close();

        try (DatagramSocket udp = new DatagramSocket(new InetSocketAddress("127.0.0.1", port));
             ServerSocket listener = new ServerSocket()) {
            listener.setReuseAddress(true);
            listener.bind(new InetSocketAddress("127.0.0.1", port));
        }
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("test-dns-" + port + "-")));
        assertThrows(IllegalStateException.class, () -> server.a("y.test", "192.0.2.2"));
        server.close(); // a second close does nothing
    }

    @Test
    void refusesWhatDoesNotParse() {
        assertThrows(IllegalArgumentException.class, () -> dns.a("x.test", "192.0.2.300"));
        assertThrows(IllegalArgumentException.class, () -> dns.aaaa("x.test", "192.0.2.1"));
        assertThrows(IllegalArgumentException.class, () -> dns.mx("x..test", 10, "mx.test"));
        assertThrows(IllegalArgumentException.class, () -> dns.fault("x.test", "NOSUCHTYPE", Fault.SERVFAIL));
        assertThrows(IllegalArgumentException.class, () -> dns.ttl(Duration.ofSeconds(-1)));
    }

    private Message ask(String name, int type) throws IOException {
        return resolver(Duration.ofSeconds(5)).send(query(name, type));
    }

    private SimpleResolver resolver(Duration timeout) {
        SimpleResolver resolver = new SimpleResolver(dns.address());
        resolver.setTimeout(timeout);
        return resolver;
    }

    private static Message query(String name, int type) {
        return Message.newQuery(Record.newRecord(TestDns.name(name), type, DClass.IN));
    }
}
