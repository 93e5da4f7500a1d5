package dev.outbox.adapter;

import dev.outbox.delivery.Secret;
import dev.outbox.delivery.SmarthostLogin;
import dev.outbox.delivery.SmtpSettings;
import dev.outbox.delivery.TlsPolicy;
import dev.outbox.delivery.TrustStore;
import dev.outbox.dsn.DeliveryStatusNotice;
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

import static dev.outbox.adapter.Setting.*;

/**
 * The adapter's configuration read once at start: every property arrives as text (from
 * ironjacamar.xml, where an unset system property leaves it empty), and an empty one takes its
 * default. The names, defaults and ranges are {@link Setting}'s; this record puts the values
 * together and checks the settings that depend on each other.
 *
 * <p>The smarthost's password never arrives as a property: {@link SmarthostPassword} reads it
 * from the environment or a file, and it is held as a {@link Secret}, so this record's
 * {@code toString()} shows the username and a mask.
 *
 * <p>Misuse: a value that is not a number or is out of range throws
 * {@link IllegalArgumentException} naming the system property an operator sets, the value and
 * the range, so the adapter refuses to start instead of running with a surprise; so does a
 * username without a password or a password without a username, a trust store that cannot be
 * read, and a password in the system property {@code outbox.smarthost-password}.
 *
 * @param smarthost       where every message goes, or null to route each recipient domain by MX
 * @param smarthostSource which setting named it ({@code outbox.smarthost} or {@code OUTBOX_SMARTHOST}), for the start-up log line
 * @param dnsServers      the DNS servers that resolve MX hosts, or empty for the system's resolvers
 * @param smtpPort        the port of MX hosts (25; tests use another)
 * @param smtp            EHLO name, timeouts, TLS level, trust store and the smarthost login
 * @param limits          per-message limits
 * @param storeDirectory  where the journal lives
 * @param maxStoreBytes   the journal's size at which submits are refused
 * @param policy          retry schedule, expiry and connection limits
 * @param notices         how delivery status notices are written, and when a delay notice goes out
 */
record AdapterSettings(NextHop smarthost, String smarthostSource, List<DnsServer> dnsServers, int smtpPort, SmtpSettings smtp,
                       SubmitLimits limits, Path storeDirectory, long maxStoreBytes, QueuePolicy policy, Notices notices) {

    /**
     * Delivery status notices.
     *
     * @param writer           writes them: reporting MTA (the EHLO name), From, the largest original returned whole
     * @param returned         the original's header, or the whole original
     * @param delayNoticeAfter a delay notice once a message is undelivered this long; zero for none
     */
    record Notices(DeliveryStatusNotice writer, DeliveryStatusNotice.Return returned, Duration delayNoticeAfter) {
    }

    /** The port of a smarthost named without one. */
    static final int SMARTHOST_PORT = 25;

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
        String fromEnvironment = text(environment.apply(SMARTHOST_VARIABLE.key()));
        Setting source = SMARTHOST.text(properties) != null ? SMARTHOST : fromEnvironment != null ? SMARTHOST_VARIABLE : null;
        NextHop nextHop = source == SMARTHOST ? SMARTHOST.parseIfSet(properties, AdapterSettings::nextHop)
                : source == SMARTHOST_VARIABLE ? SMARTHOST_VARIABLE.read(fromEnvironment, AdapterSettings::nextHop) : null;
        List<DnsServer> dnsServers = DNS_SERVERS.parse(properties, DnsServer::parseList);
        int smtpPort = (int) SMTP_PORT.number(properties);
        String helo = HELO_NAME.parseIfSet(properties, SmtpSettings::checkedHeloName);
        SmtpSettings smtp = new SmtpSettings(helo != null ? helo : localHostName(),
                Duration.ofSeconds(CONNECT_TIMEOUT_SECONDS.number(properties)),
                Duration.ofSeconds(READ_TIMEOUT_SECONDS.number(properties)),
                Duration.ofSeconds(WRITE_TIMEOUT_SECONDS.number(properties)),
                TLS.parse(properties, text -> oneOf(TlsPolicy.class, text, "a TLS level")),
                trustStore(properties),
                login(properties, environment, systemProperties));
        if (smtp.login() != null && nextHop == null) {
            throw new IllegalArgumentException(SMARTHOST_USERNAME.key() + " is set, but no smarthost is: Outbox logs in only to a"
                    + " smarthost (" + SMARTHOST.key() + " or " + SMARTHOST_VARIABLE.key() + "), never to MX hosts");
        }
        SubmitLimits limits = new SubmitLimits(MAX_MESSAGE_SIZE_BYTES.number(properties), (int) MAX_RECIPIENTS.number(properties));
        String directory = STORE_DIRECTORY.text(properties);
        if (directory == null && text(dataDirectory) == null) {
            throw new IllegalArgumentException(STORE_DIRECTORY.key() + " is empty and jboss.server.data.dir is not set:"
                    + " name a directory for the store");
        }
        Path store = directory != null ? Path.of(directory) : Path.of(dataDirectory, "outbox");
        long maxStoreBytes = MAX_STORE_BYTES.number(properties);
        QueuePolicy policy = new QueuePolicy(
                RETRY_SCHEDULE.parse(properties, RetrySchedule::parse),
                MAX_MESSAGE_AGE.parse(properties, RetrySchedule.DurationText::parse),
                perDestination(properties, CONNECTIONS_PER_DESTINATION, nextHop),
                perDestination(properties, MESSAGES_PER_CONNECTION, nextHop),
                (int) MAX_CONNECTIONS.number(properties),
                Duration.ofSeconds(ATTEMPT_TIMEOUT_SECONDS.number(properties)));
        return new AdapterSettings(nextHop, source != null ? source.key() : null, dnsServers, smtpPort, smtp, limits, store,
                maxStoreBytes, policy, notices(properties, smtp.heloName()));
    }

    private static Notices notices(Map<String, String> properties, String heloName) {
        HELO_NAME.read(heloName, DeliveryStatusNotice::new); // the notices' reporting MTA: refused by the setting that names it
        DeliveryStatusNotice writer = DSN_FROM.parse(properties,
                from -> new DeliveryStatusNotice(heloName, from, DeliveryStatusNotice.DEFAULT_RETURN_LIMIT));
        DeliveryStatusNotice.Return returned = DSN_RETURN.parse(properties,
                text -> oneOf(DeliveryStatusNotice.Return.class, text, "what a notice returns"));
        Duration delay = DELAY_NOTICE_AFTER.parse(properties, text -> {
            if (text.strip().equals("0")) {
                return Duration.ZERO;
            }
            Duration after = RetrySchedule.DurationText.parse(text);
            if (after.compareTo(QueuePolicy.SHORTEST_MAX_AGE) < 0 || after.compareTo(QueuePolicy.LONGEST_MAX_AGE) > 0) {
                throw new IllegalArgumentException("outside 0, or 1m to 365d");
            }
            return after;
        });
        return new Notices(writer, returned, delay);
    }

    private static NextHop nextHop(String text) {
        return NextHop.parse(text, SMARTHOST_PORT);
    }

    /** A per-destination limit: its default and range are the setting's. */
    private static PerDestination perDestination(Map<String, String> properties, Setting setting, NextHop smarthost) {
        return setting.parse(properties, text -> forSmarthost(
                PerDestination.parse(text, Integer.parseInt(setting.defaultValue()), (int) setting.min(), (int) setting.max()), smarthost));
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
        TrustStore.Type type = SMARTHOST_TRUST_STORE_TYPE.parse(properties,
                text -> oneOf(TrustStore.Type.class, text, "a trust store type Outbox reads"));
        if (SMARTHOST_TRUST_STORE.text(properties) == null) {
            if (SMARTHOST_TRUST_STORE_TYPE.text(properties) != null) {
                throw new IllegalArgumentException(SMARTHOST_TRUST_STORE_TYPE.key() + " is set, but " + SMARTHOST_TRUST_STORE.key()
                        + " names no file");
            }
            return null;
        }
        return SMARTHOST_TRUST_STORE.parseIfSet(properties, path -> TrustStore.read(Path.of(path), type));
    }

    private static SmarthostLogin login(Map<String, String> properties, Function<String, String> environment,
                                        Function<String, String> systemProperties) {
        String username = SMARTHOST_USERNAME.text(properties);
        Secret password = SmarthostPassword.read(SMARTHOST_PASSWORD_FILE.text(properties), environment, systemProperties);
        boolean withoutTls = SMARTHOST_AUTH_WITHOUT_TLS.parse(properties, AdapterSettings::bool);
        if (username == null && password == null) {
            return null;
        }
        if (username == null) {
            throw new IllegalArgumentException("a smarthost password is given (" + SMARTHOST_PASSWORD_VARIABLE.key() + " or "
                    + SMARTHOST_PASSWORD_FILE.key() + "), but " + SMARTHOST_USERNAME.key() + " is not set");
        }
        if (password == null) {
            throw new IllegalArgumentException(SMARTHOST_USERNAME.key() + " is \"" + username + "\", but no password is given:"
                    + " set the environment variable " + SMARTHOST_PASSWORD_VARIABLE.key() + " or name a file in "
                    + SMARTHOST_PASSWORD_FILE.key());
        }
        return new SmarthostLogin(username, password, withoutTls);
    }

    private static boolean bool(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("neither true nor false");
        };
    }

    /** One of {@code type}'s constants, named in any case; the refusal names the choices. */
    private static <E extends Enum<E>> E oneOf(Class<E> type, String value, String what) {
        E[] choices = type.getEnumConstants();
        for (E choice : choices) {
            if (choice.name().equalsIgnoreCase(value)) {
                return choice;
            }
        }
        List<String> names = Arrays.stream(choices).map(E::toString).toList();
        throw new IllegalArgumentException("not " + what + ": expected " + String.join(", ", names.subList(0, names.size() - 1))
                + " or " + names.get(names.size() - 1));
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
