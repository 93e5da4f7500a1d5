package dev.outbox.routing;

import dev.outbox.testing.Await;
import dev.outbox.testing.dns.Fault;
import dev.outbox.testing.dns.TestDns;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static dev.outbox.routing.ResolverFixture.defer;
import static dev.outbox.routing.ResolverFixture.hosts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a resolver leaves running, for a resource adapter that is stopped and redeployed: its
 * lookups start no thread (dnsjava's NIO selector included), close() ends lookups in flight,
 * and close() stops dnsjava's selector thread when other code in the class loader started it,
 * which dnsjava 3.6.4's own NioClient.close() does not quite do.
 */
class ResolverLifecycleTest {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    @AutoClose
    private final ResolverFixture fixture = new ResolverFixture();
    private final TestDns dns = fixture.dns;

    @Test
    void lookupsOverUdpAndTcpStartNoThread() {
        dns.mx("example.test", 10, "mx.example.test");
        for (int i = 1; i <= 120; i++) {
            dns.a("mx.example.test", "198.51.100." + i); // too long for UDP: read again over TCP
        }
        Set<Thread> before = Thread.getAllStackTraces().keySet();

        try (MxResolver resolver = new MxResolver(fixture.settings())) {
            assertEquals(MxResolver.MAX_ROUTE_ADDRESSES, hosts(resolver.resolve("example.test")).get(0).addresses().size());
            assertEquals(2, dns.queries("mx.example.test", "A"), "asked over UDP, then over TCP");
            assertTrue(DnsjavaSelector.threads().isEmpty(), "dnsjava's selector was started: " + DnsjavaSelector.threads());
            List<String> started = Thread.getAllStackTraces().keySet().stream()
                    .filter(thread -> !before.contains(thread) && !thread.getName().startsWith("test-dns-"))
                    .map(Thread::getName).toList();
            assertEquals(List.of(), started, "threads started by the lookups");
        }
    }

    @Test
    void closeStopsDnsjavasSelectorThreadThatOtherCodeStarted() throws Exception {
        dns.a("other.test", "192.0.2.1");
        MxResolver resolver = fixture.resolver();
        SimpleResolver dnsjavaAsItComes = new SimpleResolver(dns.address()); // its NIO client: starts the selector
        dnsjavaAsItComes.send(Message.newQuery(Record.newRecord(Name.fromString("other.test."), Type.A, DClass.IN)));
        assertFalse(DnsjavaSelector.threads().isEmpty(), "the selector runs");

        resolver.close();

        assertTrue(DnsjavaSelector.threads().isEmpty(), "still alive after close: " + DnsjavaSelector.threads());
        assertTrue(Thread.getAllStackTraces().keySet().stream().noneMatch(t -> t.getName().startsWith("dnsjava")),
                "no dnsjava thread at all");
    }

    @Test
    void closeEndsLookupsInFlight() throws Exception {
        dns.fault("slow.test", Fault.SILENCE);
        MxResolver resolver = fixture.resolver(fixture.settings().withTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(10)));
        CompletableFuture<Route> lookup = CompletableFuture.supplyAsync(() -> resolver.resolve("slow.test"));
        Await.until(DEADLINE, () -> dns.queries("slow.test", "MX") == 1, "the lookup asks");

        resolver.close();

        String reason = defer(lookup.get(DEADLINE.toSeconds(), TimeUnit.SECONDS));
        assertEquals("the lookup of slow.test/MX failed: the resolver is closed", reason);
    }

    @Test
    void closingTwiceAndClosingWithNothingRunningIsHarmless() {
        MxResolver resolver = fixture.resolver();

        resolver.close();
        resolver.close();

        assertTrue(DnsjavaSelector.threads().isEmpty());
    }
}
