package dev.outbox.adapter;

import dev.outbox.delivery.Secret;
import dev.outbox.delivery.SmarthostLogin;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.delivery.TlsPolicy;
import dev.outbox.delivery.TrustStore;
import dev.outbox.queue.Destination;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The adapter's configuration read once at start: every property arrives as text (from
 * ironjacamar.xml, where an unset system property leaves it empty), and an empty one takes its
 * default. The defaults and ranges live here and nowhere else.
 *
 * <p>The smarthost's password never arrives as a property: {@link SmarthostPassword} reads it
 * from the environment or a file, and it is held as a {@link Secret}, so this record's
 * {@code toString()} shows the username and a mask.
 *
 * <p>Misuse: a value that is not a number or is out of range throws
 * {@link IllegalArgumentException} naming the property, the value and the range, so the
 * adapter refuses to start instead of running with a surprise; so does a username without a
 * password or a password without a username, a trust store that cannot be read, and a
 * password in the system property {@code outbox.smarthost-password}.
 *
 * @param smarthost       where every message goes, or null to route each recipient domain by MX
 * @param smarthostSource which setting named it, for the start-up log line
 * @param dnsServers      the DNS servers that resolve MX hosts, or empty for the system's resolvers
 * @param smtpPort        the port of MX hosts (25; tests use another)
 * @param smtp            EHLO name, timeouts, TLS level, trust store and the smarthost login
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
    static final TlsPolicy DEFAULT_TLS = TlsPolicy.OPPORTUNISTIC;
    static final TrustStore.Type DEFAULT_TRUST_STORE_TYPE = TrustStore.Type.PEM;

    /** As {@link #of(Map, Function, Function, String)} with no system property set. */
    static AdapterSettings of(Map<String, String> properties, Function<String, String> environment, String dataDirectory) {
        return of(properties, environment, name -> null, dataDirectory);
    }

    /**
     * @param properties       the bean properties by name (see ra.xml); absent or blank means the default
     * @param environment      the process environment, for {@code OUTBOX_SMARTHOST} and {@code OUTBOX_SMARTHOST_PASSWORD}
     * @param systemProperties the JVM's system properties, to refuse {@code outbox.smarthost-password}
     * @param dataDirectory    the server's data directory ({@code jboss.server.data.dir}), or null
     */
    static AdapterSettings of(Map<String, String> properties, Function<String, String> environment,
                              Function<String, String> systemProperties, String dataDirectory) {
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
                Duration.ofSeconds(number(properties, "WriteTimeoutSeconds", DEFAULT_WRITE_TIMEOUT_SECONDS, 1, 3600)),
                oneOf(properties, "Tls", "outbox.tls", DEFAULT_TLS, "a TLS level"),
                trustStore(properties),
                login(properties, environment, systemProperties));
        if (smtp.login() != null && nextHop == null) {
            throw new IllegalArgumentException("SmarthostUsername (outbox.smarthost-username) is set, but no smarthost is:"
                    + " Outbox logs in only to a smarthost (outbox.smarthost or OUTBOX_SMARTHOST), never to MX hosts");
        }
        SubmitLimits limits = new SubmitLimits(
                number(properties, "MaxMessageSizeBytes", DEFAULT_MAX_MESSAGE_SIZE_BYTES, 1024, Integer.MAX_VALUE),
                (int) number(properties, "MaxRecipients", DEFAULT_MAX_RECIPIENTS, 1, 100_000));
        String directory = text(properties.get("StoreDirectory"));
        if (directory == null && text(dataDirectory) == null) {
            throw new IllegalArgumentException("StoreDirectory is empty and jboss.server.data.dir is not set: name a directory for the store");
        }
        Path store = directory != null ? Path.of(directory) : Path.of(dataDirectory, "outbox");
        long maxStoreBytes = number(properties, "MaxStoreBytes", DEFAULT_MAX_STORE_BYTES, 64L * 1024 * 1024, Long.MAX_VALUE);
        NextHop relay = nextHop;
        QueuePolicy policy = new QueuePolicy(
                parsed(properties, "RetrySchedule", DEFAULT_RETRY_SCHEDULE, RetrySchedule::parse),
                parsed(properties, "MaxMessageAge", DEFAULT_MAX_MESSAGE_AGE, RetrySchedule.DurationText::parse),
                parsed(properties, "ConnectionsPerDestination", Long.toString(DEFAULT_CONNECTIONS_PER_DESTINATION),
                        text -> forSmarthost(PerDestination.parse(text, (int) DEFAULT_CONNECTIONS_PER_DESTINATION, 1, 100), relay)),
                parsed(properties, "MessagesPerConnection", Long.toString(DEFAULT_MESSAGES_PER_CONNECTION),
                        text -> forSmarthost(PerDestination.parse(text, (int) DEFAULT_MESSAGES_PER_CONNECTION, 1, 100_000), relay)),
                (int) number(properties, "MaxConnections", DEFAULT_MAX_CONNECTIONS, 1, 1000),
                Duration.ofSeconds(number(properties, "AttemptTimeoutSeconds", DEFAULT_ATTEMPT_TIMEOUT_SECONDS, 10, 86_400)));
        return new AdapterSettings(nextHop, source, dnsServers, smtpPort, smtp, limits, store, maxStoreBytes, policy);
    }

    /**
     * {@code limit} with an override that names the smarthost as the administrator may write it
     * (its host alone, or in another case) keyed by the smarthost's queue name ({@code host:port}),
     * which every recipient goes to; unchanged without a smarthost.
     */
    private static PerDestination forSmarthost(PerDestination limit, NextHop smarthost) {
        if (smarthost == null) {
            return limit;
        }
        String queue = Destination.smarthost(smarthost).name();
        Map<String, Integer> overrides = new LinkedHashMap<>();
        for (Map.Entry<String, Integer> override : limit.overrides().entrySet()) {
            String name = override.getKey();
            boolean relay = name.equalsIgnoreCase(queue) || name.equalsIgnoreCase(smarthost.host())
                    || name.equalsIgnoreCase("[" + smarthost.host() + "]");
            if (overrides.put(relay ? queue : name, override.getValue()) != null) {
                throw new IllegalArgumentException("the smarthost " + queue + " is given twice");
            }
        }
        return new PerDestination(limit.defaultValue(), overrides);
    }

    private static TrustStore trustStore(Map<String, String> properties) {
        String path = text(properties.get("SmarthostTrustStore"));
        TrustStore.Type type = oneOf(properties, "SmarthostTrustStoreType", "outbox.smarthost-trust-store-type",
                DEFAULT_TRUST_STORE_TYPE, "a trust store type Outbox reads");
        if (path == null) {
            if (text(properties.get("SmarthostTrustStoreType")) != null) {
                throw new IllegalArgumentException("SmarthostTrustStoreType (outbox.smarthost-trust-store-type) is set, but"
                        + " SmarthostTrustStore (outbox.smarthost-trust-store) names no file");
            }
            return null;
        }
        try {
            return TrustStore.read(Path.of(path), type);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("SmarthostTrustStore (outbox.smarthost-trust-store): " + e.getMessage(), e);
        }
    }

    private static SmarthostLogin login(Map<String, String> properties, Function<String, String> environment,
                                        Function<String, String> systemProperties) {
        String username = text(properties.get("SmarthostUsername"));
        Secret password = SmarthostPassword.read(text(properties.get("SmarthostPasswordFile")), environment, systemProperties);
        boolean withoutTls = choice(properties, "SmarthostAuthWithoutTls", "outbox.smarthost-auth-without-tls", false,
                AdapterSettings::bool);
        if (username == null && password == null) {
            return null;
        }
        if (username == null) {
            throw new IllegalArgumentException("a smarthost password is given (" + SmarthostPassword.VARIABLE + " or "
                    + SmarthostPassword.FILE_SETTING + "), but SmarthostUsername (outbox.smarthost-username) is not set");
        }
        if (password == null) {
            throw new IllegalArgumentException("SmarthostUsername (outbox.smarthost-username) is \"" + username
                    + "\", but no password is given: set the environment variable " + SmarthostPassword.VARIABLE
                    + " or name a file in " + SmarthostPassword.FILE_SETTING);
        }
        return new SmarthostLogin(username, password, withoutTls);
    }

    private static boolean bool(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("\"" + text.replaceAll("\\p{Cntrl}", "?") + "\" is neither true nor false");
        };
    }

    /** One of the constants of {@code defaultValue}'s enum, named in any case; the error names the property, the value and the choices. */
    private static <E extends Enum<E>> E oneOf(Map<String, String> properties, String name, String systemProperty, E defaultValue,
                                               String what) {
        E[] choices = defaultValue.getDeclaringClass().getEnumConstants();
        return choice(properties, name, systemProperty, defaultValue, value -> {
            for (E choice : choices) {
                if (choice.name().equalsIgnoreCase(value)) {
                    return choice;
                }
            }
            List<String> names = Arrays.stream(choices).map(E::toString).toList();
            throw new IllegalArgumentException("\"" + value.replaceAll("\\p{Cntrl}", "?") + "\" is not " + what + ": expected "
                    + String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1));
        });
    }

    /** A value read by {@code parser}, whose message names the value; the error names the property and its system property. */
    private static <T> T choice(Map<String, String> properties, String name, String systemProperty, T defaultValue,
                                Function<String, T> parser) {
        String value = text(properties.get(name));
        if (value == null) {
            return defaultValue;
        }
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " (" + systemProperty + "): " + e.getMessage(), e);
        }
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
