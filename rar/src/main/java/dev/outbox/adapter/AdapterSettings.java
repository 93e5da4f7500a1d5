package dev.outbox.adapter;

import dev.outbox.delivery.SmtpSettings;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.PerDestination;
import dev.outbox.queue.QueuePolicy;
import dev.outbox.queue.RetrySchedule;
import dev.outbox.queue.SubmitLimits;
import dev.outbox.routing.DnsServer;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The adapter's configuration read once at start: every property arrives as text (from
 * ironjacamar.xml, where an unset system property leaves it empty), and an empty one takes its
 * default. The defaults and ranges live here and nowhere else.
 *
 * <p>Misuse: a value that is not a number or is out of range throws
 * {@link IllegalArgumentException} naming the property, the value and the range, so the
 * adapter refuses to start instead of running with a surprise.
 *
 * @param smarthost       where every message goes, or null to route each recipient domain by MX
 * @param smarthostSource which setting named it, for the start-up log line
 * @param dnsServers      the DNS servers that resolve MX hosts, or empty for the system's resolvers
 * @param smtpPort        the port of MX hosts (25; tests use another)
 * @param smtp            EHLO name and timeouts
 * @param limits          per-message limits
 * @param storeDirectory  where the journal lives
 * @param maxStoreBytes   the journal's size at which submits are refused
 * @param policy          retry schedule, expiry and connection limits
 */
record AdapterSettings(NextHop smarthost, String smarthostSource, List<DnsServer> dnsServers, int smtpPort, SmtpSettings smtp,
                       SubmitLimits limits, Path storeDirectory, long maxStoreBytes, QueuePolicy policy) {

    /** Read when {@code Smarthost} is empty: part of Outbox's public contract. */
    static final String SMARTHOST_VARIABLE = "OUTBOX_SMARTHOST";
    static final int DEFAULT_SMTP_PORT = 25;

    static final long DEFAULT_CONNECT_TIMEOUT_SECONDS = 30;
    static final long DEFAULT_READ_TIMEOUT_SECONDS = 300;
    static final long DEFAULT_MAX_MESSAGE_SIZE_BYTES = 10L * 1024 * 1024;
    static final long DEFAULT_MAX_RECIPIENTS = 1000;
    static final long DEFAULT_MAX_STORE_BYTES = 4L * 1024 * 1024 * 1024;
    static final String DEFAULT_RETRY_SCHEDULE = "1m,5m,15m,30m,1h,2h,4h";
    static final String DEFAULT_MAX_MESSAGE_AGE = "2d";
    static final long DEFAULT_CONNECTIONS_PER_DESTINATION = 4;
    static final long DEFAULT_MESSAGES_PER_CONNECTION = 100;
    static final long DEFAULT_WRITE_TIMEOUT_SECONDS = 300;
    static final long DEFAULT_MAX_CONNECTIONS = QueuePolicy.DEFAULT_MAX_CONNECTIONS;
    static final long DEFAULT_ATTEMPT_TIMEOUT_SECONDS = QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT.toSeconds();

    /**
     * @param properties  the bean properties by name (see ra.xml); absent or blank means the default
     * @param environment the process environment, for {@code OUTBOX_SMARTHOST}
     * @param dataDirectory the server's data directory ({@code jboss.server.data.dir}), or null
     */
    static AdapterSettings of(Map<String, String> properties, Function<String, String> environment, String dataDirectory) {
        String configured = text(properties.get("Smarthost"));
        String fromEnvironment = text(environment.apply(SMARTHOST_VARIABLE));
        String source = configured != null ? "Smarthost" : fromEnvironment != null ? SMARTHOST_VARIABLE : null;
        String smarthost = configured != null ? configured : fromEnvironment;
        NextHop nextHop = null;
        if (smarthost != null) {
            try {
                nextHop = NextHop.parse(smarthost, DEFAULT_SMTP_PORT);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("smarthost (" + source + "): " + e.getMessage(), e);
            }
        }
        List<DnsServer> dnsServers = parsed(properties, "DnsServers", "", DnsServer::parseList);
        int smtpPort = (int) number(properties, "SmtpPort", DEFAULT_SMTP_PORT, 1, 65535);
        String helo = text(properties.get("HeloName"));
        SmtpSettings smtp = new SmtpSettings(helo != null ? helo : localHostName(),
                Duration.ofSeconds(number(properties, "ConnectTimeoutSeconds", DEFAULT_CONNECT_TIMEOUT_SECONDS, 1, 3600)),
                Duration.ofSeconds(number(properties, "ReadTimeoutSeconds", DEFAULT_READ_TIMEOUT_SECONDS, 1, 3600)),
                Duration.ofSeconds(number(properties, "WriteTimeoutSeconds", DEFAULT_WRITE_TIMEOUT_SECONDS, 1, 3600)));
        SubmitLimits limits = new SubmitLimits(
                number(properties, "MaxMessageSizeBytes", DEFAULT_MAX_MESSAGE_SIZE_BYTES, 1024, Integer.MAX_VALUE),
                (int) number(properties, "MaxRecipients", DEFAULT_MAX_RECIPIENTS, 1, 100_000));
        String directory = text(properties.get("StoreDirectory"));
        if (directory == null && text(dataDirectory) == null) {
            throw new IllegalArgumentException("StoreDirectory is empty and jboss.server.data.dir is not set: name a directory for the store");
        }
        Path store = directory != null ? Path.of(directory) : Path.of(dataDirectory, "outbox");
        long maxStoreBytes = number(properties, "MaxStoreBytes", DEFAULT_MAX_STORE_BYTES, 64L * 1024 * 1024, Long.MAX_VALUE);
        QueuePolicy policy = new QueuePolicy(
                parsed(properties, "RetrySchedule", DEFAULT_RETRY_SCHEDULE, RetrySchedule::parse),
                parsed(properties, "MaxMessageAge", DEFAULT_MAX_MESSAGE_AGE, RetrySchedule.DurationText::parse),
                parsed(properties, "ConnectionsPerDestination", Long.toString(DEFAULT_CONNECTIONS_PER_DESTINATION),
                        text -> PerDestination.parse(text, (int) DEFAULT_CONNECTIONS_PER_DESTINATION, 1, 100)),
                parsed(properties, "MessagesPerConnection", Long.toString(DEFAULT_MESSAGES_PER_CONNECTION),
                        text -> PerDestination.parse(text, (int) DEFAULT_MESSAGES_PER_CONNECTION, 1, 100_000)),
                (int) number(properties, "MaxConnections", DEFAULT_MAX_CONNECTIONS, 1, 1000),
                Duration.ofSeconds(number(properties, "AttemptTimeoutSeconds", DEFAULT_ATTEMPT_TIMEOUT_SECONDS, 10, 86_400)));
        return new AdapterSettings(nextHop, source, dnsServers, smtpPort, smtp, limits, store, maxStoreBytes, policy);
    }

    private static <T> T parsed(Map<String, String> properties, String name, String defaultValue, Function<String, T> parser) {
        String value = text(properties.get(name));
        try {
            return parser.apply(value != null ? value : defaultValue);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " is \"" + value + "\": " + e.getMessage(), e);
        }
    }

    private static long number(Map<String, String> properties, String name, long defaultValue, long min, long max) {
        String value = text(properties.get(name));
        if (value == null) {
            return defaultValue;
        }
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " is \"" + value + "\", not a whole number in " + min + ".." + max);
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(name + " is " + parsed + ", outside " + min + ".." + max);
        }
        return parsed;
    }

    private static String text(String value) {
        return value == null || value.isBlank() ? null : value.strip();
    }

    private static String localHostName() {
        try {
            String name = InetAddress.getLocalHost().getCanonicalHostName();
            return name.matches("[A-Za-z0-9.\\-]+") ? name : "localhost";
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
