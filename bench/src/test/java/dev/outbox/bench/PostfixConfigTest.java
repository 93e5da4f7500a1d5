package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lane's Postfix instance: loopback only, no DNS, Outbox's limits, the backlog held, one next hop per domain. */
class PostfixConfigTest {

    private static final Path DIRECTORY = Path.of("/scratch/postfix");

    @Test
    void mainCfKeepsTheInstanceInItsDirectoryOnLoopbackWithoutDnsAndWithOutboxsLimits() {
        String main = config(Map.of()).mainCf();

        assertTrue(main.contains("queue_directory = /scratch/postfix/spool\n"));
        assertTrue(main.contains("data_directory = /scratch/postfix/data\n"));
        assertTrue(main.contains("maillog_file = /scratch/postfix/maillog\n"));
        assertTrue(main.contains("inet_interfaces = loopback-only\n"));
        assertTrue(main.contains("inet_protocols = ipv4\n"));
        assertTrue(main.contains("smtp_dns_support_level = disabled\n"));
        assertTrue(main.contains("smtp_host_lookup = native\n"));
        assertTrue(main.contains("relayhost = [127.0.0.1]:2525\n"));
        assertTrue(main.contains("default_destination_concurrency_limit = 4\n"));
        assertTrue(main.contains("smtpd_client_restrictions = static:hold\n"));
        assertTrue(main.contains("mydestination =\n"));
        assertFalse(main.contains("transport_maps"), "no transport table without many destinations");
    }

    @Test
    void manyDestinationsGetATransportEntryEachToTheirOwnSink() {
        PostfixConfig config = config(Map.of("d2.bench.example", "127.0.1.2", "d1.bench.example", "127.0.1.1"));

        assertTrue(config.mainCf().contains("transport_maps = texthash:/scratch/postfix/etc/transport\n"));
        assertEquals("d1.bench.example smtp:[127.0.1.1]:2525\nd2.bench.example smtp:[127.0.1.2]:2525\n", config.transportTableText());
    }

    @Test
    void masterCfListensOnLoopbackForTheBacklogCapsSmtpAtOutboxsConnectionsAndChrootsNothing() {
        String master = config(Map.of()).masterCf();

        assertTrue(master.contains("127.0.0.1:2626 inet n     -       n       -       -       smtpd\n"));
        assertTrue(master.contains("smtp      unix  -       -       n       -       32      smtp\n"));
        assertFalse(master.lines().anyMatch(line -> line.matches("^smtp\\s+inet.*")), "nothing on port 25");
        assertTrue(master.lines().filter(line -> !line.startsWith("#")).allMatch(line -> line.split("\\s+")[4].equals("n")),
                "no service is chrooted");
    }

    private static PostfixConfig config(Map<String, String> transports) {
        return new PostfixConfig(DIRECTORY, 2626, 2525, transports, 4, 32, "postfix", "postdrop");
    }
}
