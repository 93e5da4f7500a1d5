package dev.outbox.routing;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.List;

import static dev.outbox.routing.ResolverFixture.hosts;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that what a hostile domain's DNS answers is bounded where Outbox keeps it: a host may
 * have thousands of A records (4,000 fit in one answer over TCP), and a domain ten such MX hosts.
 * A route of 40,000 addresses makes one attempt connect to each in turn, a port-25 scan of
 * addresses the domain's owner chose (Postfix tries at most 5, smtp_mx_address_limit; Exim 5,
 * hosts_max_try); and the answer cache, bounded in entries only (10,000 in the adapter), keeps
 * every record of every answer: far more than the "no larger than one DNS message" each entry
 * is documented to be.
 */
class HugeAnswerTest {

    /** Addresses in one answer: about as many as the 65,535 bytes of a TCP answer hold. */
    private static final int ADDRESSES = 4_000;
    /** Generous: twice what five hosts with an A and an AAAA address each would give. */
    private static final int MOST_ADDRESSES_IN_A_ROUTE = 20;
    /** One DNS message at most, as AnswerCache says of each entry. */
    private static final long ONE_DNS_MESSAGE = 65_535;

    @AutoClose
    private final ResolverFixture fixture = new ResolverFixture();

    @Test
    void aRouteHoldsABoundedNumberOfAddresses() {
        crowdedHost("crowded.test", "mx.crowded.test", 0);

        List<MailHost> hosts = hosts(fixture.resolver().resolve("crowded.test"));

        int addresses = hosts.stream().mapToInt(host -> host.addresses().size()).sum();
        assertTrue(addresses <= MOST_ADDRESSES_IN_A_ROUTE, "one attempt would try " + addresses
                + " addresses the domain chose, one after another");
    }

    @Test
    void eachCachedAnswerTakesNoMoreThanOneDnsMessage() {
        int domains = 30;
        for (int d = 0; d < domains; d++) {
            crowdedHost("d" + d + ".test", "mx.d" + d + ".test", d);
        }
        MxResolver resolver = fixture.resolver();
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long before = usedAfterGc(memory);
        for (int d = 0; d < domains; d++) {
            resolver.resolve("d" + d + ".test"); // two answers cached each: the MX, and the host's 4,000 A records
        }
        long retained = usedAfterGc(memory) - before;

        long perAnswer = retained / domains;
        assertTrue(perAnswer <= ONE_DNS_MESSAGE, "each host's answer keeps about " + perAnswer / 1024 + " KiB on the heap;"
                + " at the adapter's 10,000 entries that is " + perAnswer * 10_000 / (1024 * 1024) + " MiB");
    }

    /** {@code domain}'s one MX host {@code host}, with {@link #ADDRESSES} A records in 10.{n}.0.0/16. */
    private void crowdedHost(String domain, String host, int n) {
        fixture.dns.mx(domain, 10, host);
        String[] addresses = new String[ADDRESSES];
        for (int i = 0; i < ADDRESSES; i++) {
            addresses[i] = "10." + n + "." + (i / 250) + "." + (i % 250 + 1);
        }
        fixture.dns.a(host, addresses);
    }

    private static long usedAfterGc(MemoryMXBean memory) {
        memory.gc();
        memory.gc();
        return memory.getHeapMemoryUsage().getUsed();
    }
}
