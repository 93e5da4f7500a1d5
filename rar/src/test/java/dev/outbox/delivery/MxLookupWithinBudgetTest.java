package dev.outbox.delivery;

import dev.outbox.queue.Abort;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.Destination;
import dev.outbox.routing.DnsServer;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.testing.Await;
import dev.outbox.testing.dns.Fault;
import dev.outbox.testing.dns.TestDns;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that connecting to a domain keeps the {@link Deliverer} contract while its MX lookup
 * runs, with the adapter's own DNS settings (5 s a query, 30 s a lookup): the connect gives up
 * once its budget has passed, and firing its abort (the queue's stop, the sweep at an attempt's
 * deadline) ends it at once, as it does while a socket is being connected.
 */
class MxLookupWithinBudgetTest {

    /** Slack for a loaded machine; far less than one DNS query timeout of the adapter (5 s). */
    private static final long SLACK_MILLIS = 1_500;

    @AutoClose
    private final TestDns dns = TestDns.start();
    @AutoClose
    private final SmtpDeliverer deliverer = new SmtpDeliverer(LoopbackSmtp.SETTINGS,
            new MxResolver(DnsSettings.defaults().withServers(List.of(DnsServer.parse(dns.server())))), 25);

    @Test
    void aSilentDnsServerDoesNotKeepTheConnectPastItsBudget() {
        dns.fault("silent.example", Fault.SILENCE);
        Duration budget = Duration.ofSeconds(1);

        long began = System.nanoTime();
        Deliverer.ConnectFailedException failed = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer.connect(Destination.domain("silent.example"), budget, new Abort()));
        long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - began);

        assertFalse(failed.isPermanent(), failed.getMessage());
        assertTrue(took <= budget.toMillis() + SLACK_MILLIS, "a connect with a budget of " + budget.toMillis()
                + " ms took " + took + " ms, spent waiting for DNS: " + failed.getMessage());
    }

    @Test
    void anAbortEndsTheConnectWhileItWaitsForDns() throws Exception {
        dns.fault("silent.example", Fault.SILENCE);
        Abort abort = new Abort();

        CompletableFuture<Long> connect = CompletableFuture.supplyAsync(() -> {
            long began = System.nanoTime();
            try {
                deliverer.connect(Destination.domain("silent.example"), Duration.ofMinutes(10), abort).close();
            } catch (Deliverer.ConnectFailedException e) {
                // expected: aborted
            }
            return System.nanoTime() - began;
        });
        Await.until(Duration.ofSeconds(10), () -> dns.queries("silent.example", "MX") > 0, "the MX lookup started");
        long fired = System.nanoTime();
        abort.fire();

        connect.get(60, TimeUnit.SECONDS);
        long afterAbort = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - fired);
        assertTrue(afterAbort <= SLACK_MILLIS, "the connect went on for " + afterAbort + " ms after its abort fired,"
                + " waiting for DNS: the queue's stop waits 5 s for it and then returns with the delivery thread still running");
    }
}
