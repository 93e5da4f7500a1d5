package dev.outbox.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The configuration of the lane's own Postfix instance, as the files {@link PostfixInstance}
 * writes into its scratch directory: {@code main.cf}, {@code master.cf} and a transport table.
 * Nothing of the machine's own Postfix is read or changed, and the instance listens on loopback
 * only.
 *
 * <p>What it sets, and why:
 * <ul>
 * <li>Its own directories under {@code directory}: {@code etc} (config_directory), {@code spool}
 *     (queue_directory), {@code data} (data_directory), and {@code maillog}, its log file, written
 *     by its own {@code postlogd} (this machine has no syslog).</li>
 * <li>Loopback, IPv4, no DNS: {@code inet_interfaces = loopback-only}, {@code inet_protocols =
 *     ipv4}, {@code smtp_dns_support_level = disabled} (what {@code disable_dns_lookups = yes} is
 *     called since Postfix 2.11) and {@code smtp_host_lookup = native}; next hops are addresses.</li>
 * <li>Nothing delivered locally: empty {@code mydestination}, alias and local recipient maps,
 *     {@code local_transport = error}.</li>
 * <li>Where mail goes: {@code relayhost = [127.0.0.1]:PORT}, the sink of the one-destination
 *     variants; and a {@code transport_maps} entry per domain of the many-destination variants,
 *     each to its own sink address ({@code smtp:[127.0.1.K]:PORT}). Postfix keeps one queue per
 *     next hop, so distinct addresses give it one queue per domain, as Outbox has.</li>
 * <li>Fairness: {@code default_destination_concurrency_limit} is Outbox's connections per
 *     destination, and the {@code smtp} service's process limit in master.cf Outbox's most
 *     connections over all destinations. Everything else is Postfix's default, connection reuse
 *     included (no limit of messages per connection; Outbox closes one after 100).</li>
 * <li>Queueing the backlog: an smtpd on {@code 127.0.0.1:SMTPD_PORT} with
 *     {@code smtpd_client_restrictions = static:hold}, so every message accepted goes straight to
 *     the hold queue and nothing is delivered until it is released; {@code in_flow_delay = 0},
 *     since the queue manager, seeing no new mail, would otherwise make smtpd wait a second a
 *     message for flow control.</li>
 * <li>No chroot (every service's chroot column is "n"), and only the services this needs.</li>
 * </ul>
 *
 * <p>Immutable; its methods only render text.
 *
 * @param directory                 the instance's scratch directory
 * @param smtpdPort                 where its smtpd listens on 127.0.0.1, for queueing the backlog
 * @param sinkPort                  the sinks' port
 * @param transports                domain to sink address, for the many-destination variants (may be empty)
 * @param concurrencyPerDestination Outbox's connections per destination
 * @param maxConnections            Outbox's most connections over all destinations
 * @param mailOwner                 the user Postfix's daemons run as
 * @param setgidGroup               the group of its set-gid commands
 */
record PostfixConfig(Path directory, int smtpdPort, int sinkPort, Map<String, String> transports, int concurrencyPerDestination,
                     int maxConnections, String mailOwner, String setgidGroup) {

    /** Debian's postfix package makes this user and group. */
    static final String DEBIAN_MAIL_OWNER = "postfix";
    static final String DEBIAN_SETGID_GROUP = "postdrop";

    PostfixConfig {
        transports = Map.copyOf(transports);
    }

    Path configDirectory() {
        return directory.resolve("etc");
    }

    Path queueDirectory() {
        return directory.resolve("spool");
    }

    Path dataDirectory() {
        return directory.resolve("data");
    }

    Path maillog() {
        return directory.resolve("maillog");
    }

    Path transportTable() {
        return configDirectory().resolve("transport");
    }

    /** main.cf, one "name = value" a line. */
    String mainCf() {
        List<String> lines = new ArrayList<>(List.of(
                "compatibility_level = 3.6",
                "queue_directory = " + queueDirectory(),
                "data_directory = " + dataDirectory(),
                "mail_owner = " + mailOwner,
                "setgid_group = " + setgidGroup,
                "maillog_file = " + maillog(),
                "maillog_file_prefixes = " + directory,
                "inet_interfaces = loopback-only",
                "inet_protocols = ipv4",
                "myhostname = postfix.bench.localhost",
                "mynetworks = 127.0.0.0/8",
                "mydestination =",
                "alias_maps =",
                "alias_database =",
                "local_recipient_maps =",
                "local_transport = error:local delivery is off",
                "biff = no",
                "smtp_dns_support_level = disabled",
                "smtp_host_lookup = native",
                "relayhost = [127.0.0.1]:" + sinkPort,
                "default_destination_concurrency_limit = " + concurrencyPerDestination,
                "smtpd_client_restrictions = static:hold",
                "in_flow_delay = 0"));
        if (!transports.isEmpty()) {
            lines.add("transport_maps = texthash:" + transportTable());
        }
        return String.join("\n", lines) + "\n";
    }

    /** master.cf: the smtpd that takes the backlog, and the services delivery needs, none chrooted. */
    String masterCf() {
        return String.format(Locale.ROOT, """
                # service type  private unpriv  chroot  wakeup  maxproc command
                127.0.0.1:%d inet n     -       n       -       -       smtpd
                pickup    unix  n       -       n       60      1       pickup
                cleanup   unix  n       -       n       -       0       cleanup
                qmgr      unix  n       -       n       300     1       qmgr
                rewrite   unix  -       -       n       -       -       trivial-rewrite
                bounce    unix  -       -       n       -       0       bounce
                defer     unix  -       -       n       -       0       bounce
                trace     unix  -       -       n       -       0       bounce
                verify    unix  -       -       n       -       1       verify
                flush     unix  n       -       n       1000?   0       flush
                proxymap  unix  -       -       n       -       -       proxymap
                proxywrite unix -       -       n       -       1       proxymap
                smtp      unix  -       -       n       -       %d      smtp
                relay     unix  -       -       n       -       -       smtp
                showq     unix  n       -       n       -       -       showq
                error     unix  -       -       n       -       -       error
                retry     unix  -       -       n       -       -       error
                discard   unix  -       -       n       -       -       discard
                anvil     unix  -       -       n       -       1       anvil
                scache    unix  -       -       n       -       1       scache
                postlog   unix-dgram n  -       n       -       1       postlogd
                """, smtpdPort, maxConnections);
    }

    /** The transport table: "domain smtp:[address]:port" a line, sorted. */
    String transportTableText() {
        StringBuilder text = new StringBuilder();
        transports.entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(entry -> text.append(entry.getKey()).append(" smtp:[").append(entry.getValue()).append("]:").append(sinkPort).append('\n'));
        return text.toString();
    }
}
