package dev.outbox.delivery;

import dev.outbox.queue.Abort;
import dev.outbox.queue.Deliverer;
import dev.outbox.queue.Destination;
import dev.outbox.routing.DnsServer;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.testing.dns.TestDns;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that an address no mail host can have is never connected to, whatever a domain's DNS
 * says: 0.0.0.0 (RFC 1122 "this host on this network", never a destination) reaches the local
 * machine when connected to on Linux, so a hostile domain whose MX has that address would make
 * Outbox hand its mail to whatever listens on the server itself. Exim's dnslookup router ignores
 * such targets by default ({@code ignore_target_hosts = 0.0.0.0 : 127.0.0.0/8}). The same holds
 * for a recipient written with an address literal ({@code user@[0.0.0.0]}), which an application
 * takes from a web form as readily as any other address.
 */
class UnusableMxAddressTest {

    @AutoClose
    private final TestDns dns = TestDns.start();
    @AutoClose
    private final ScriptedSmtpServer local = ScriptedSmtpServer.start("127.0.0.1", 0);
    @AutoClose
    private final SmtpDeliverer deliverer = new SmtpDeliverer(LoopbackSmtp.SETTINGS,
            new MxResolver(DnsSettings.defaults().withServers(List.of(DnsServer.parse(dns.server())))), local.port());

    @Test
    void anMxHostAtTheUnspecifiedAddressIsNotConnectedTo() {
        dns.mx("hostile.example", 10, "mx.hostile.example").a("mx.hostile.example", "0.0.0.0");

        Deliverer.ConnectFailedException failed = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer.connect(Destination.domain("hostile.example"), LoopbackSmtp.BUDGET, new Abort()).close(),
                () -> "connected to mx.hostile.example at 0.0.0.0, that is, to this machine: " + local.transcript());

        assertEquals(0, local.connectionsAccepted(), () -> "the local server was reached: " + local.transcript());
        assertTrue(failed.getMessage().contains("0.0.0.0"), failed.getMessage());
        assertFalse(failed.isPermanent(), "DNS may be fixed: " + failed.getMessage());
    }

    @Test
    void anAddressLiteralOfTheUnspecifiedAddressIsNotConnectedTo() {
        Deliverer.ConnectFailedException failed = assertThrows(Deliverer.ConnectFailedException.class,
                () -> deliverer.connect(Destination.domain("[0.0.0.0]"), LoopbackSmtp.BUDGET, new Abort()).close(),
                () -> "connected to [0.0.0.0], that is, to this machine: " + local.transcript());

        assertEquals(0, local.connectionsAccepted(), () -> "the local server was reached: " + local.transcript());
        assertTrue(failed.getMessage().contains("0.0.0.0"), failed.getMessage());
    }
}
