package dev.outbox.adapter;

import dev.outbox.queue.QueuePolicy;
import dev.outbox.queue.RetrySchedule;

import java.util.Map;
import java.util.function.Function;

/**
 * Outbox's settings, each defined once: the name an operator sets, where it is read, its
 * default, range, unit and meaning. ra.xml, ironjacamar.xml, the getters and setters of
 * {@link OutboxResourceAdapter} and README.md's settings tables follow this table, and
 * {@code SettingTableTest} fails naming any of them that is missing, extra or different.
 *
 * <p>How Outbox is configured: the archive activates itself from its own ironjacamar.xml, which
 * sets each adapter property from a system property ({@code ${outbox.max-recipients:}}), so an
 * administrator uses {@code /system-property=outbox.*} in jboss-cli. A resource-adapters
 * subsystem entry for the archive would activate it a second time (duplicate
 * {@code java:/eis/Outbox}), so no setting is read from there.
 *
 * <p>To add a setting: a constant here, its getter and setter in {@link OutboxResourceAdapter}
 * (for {@link Source#ADAPTER}), its use in {@link AdapterSettings}, and the lines the test then
 * asks for in ra.xml, ironjacamar.xml and README.md.
 *
 * <p>Reading: {@link #text}, {@link #number}, {@link #parse} and {@link #parseIfSet} take the
 * adapter's properties by JavaBean name; an unset or blank one takes the default. A value that
 * cannot be read throws {@link IllegalArgumentException} whose message starts with the name an
 * operator sets and the value ({@code outbox.max-recipients is "0", outside 1..100000}). Stateless;
 * any thread.
 */
enum Setting {

    SMARTHOST(Source.ADAPTER, "Smarthost", "outbox.smarthost", null, "`OUTBOX_SMARTHOST`, else none",
            "`host[:port]` (port 25 when left out), `[ipv6]:port`", "",
            "the SMTP server every message goes to; with none, each recipient domain is routed by its MX records"),
    DNS_SERVERS(Source.ADAPTER, "DnsServers", "outbox.dns-servers", "", "the system's resolvers (`/etc/resolv.conf`)",
            "comma-separated `host[:port]` (port 53 when left out), `[ipv6]:port`", "",
            "DNS servers for routing by MX"),
    SMTP_PORT(Source.ADAPTER, "SmtpPort", "outbox.smtp-port", 25, 1, 65535, "TCP port",
            "the port Outbox connects to on MX hosts"),
    HELO_NAME(Source.ADAPTER, "HeloName", "outbox.helo-name", null, "this host's canonical name",
            "a host name or an IP address", "",
            "name given in EHLO"),
    TLS(Source.ADAPTER, "Tls", "outbox.tls", "opportunistic", "`opportunistic`", "`none`, `opportunistic`, `required`", "",
            "STARTTLS: `none` never; `opportunistic` whenever offered, without a certificate check (after a failed"
                    + " handshake, once more in plain text); `required` always, with the smarthost's certificate and name verified"),
    SMARTHOST_TRUST_STORE(Source.ADAPTER, "SmarthostTrustStore", "outbox.smarthost-trust-store", null, "the JDK's trust store",
            "a readable file", "",
            "file of the certificates the smarthost's chain is verified against under `required` TLS"),
    SMARTHOST_TRUST_STORE_TYPE(Source.ADAPTER, "SmarthostTrustStoreType", "outbox.smarthost-trust-store-type", "PEM", "`PEM`",
            "`PEM`, `JKS`", "",
            "format of `outbox.smarthost-trust-store`: one or more PEM certificates, or a JKS store; read without a password"),
    SMARTHOST_USERNAME(Source.ADAPTER, "SmarthostUsername", "outbox.smarthost-username", null, "none (no AUTH)", "", "",
            "username for SMTP AUTH at the smarthost; the password comes from `OUTBOX_SMARTHOST_PASSWORD` or"
                    + " `outbox.smarthost-password-file`, never from a system property"),
    SMARTHOST_PASSWORD_FILE(Source.ADAPTER, "SmarthostPasswordFile", "outbox.smarthost-password-file", null, "none",
            "a file only its owner may access", "",
            "file holding the smarthost's password (UTF-8, the first line); the other place for it is `OUTBOX_SMARTHOST_PASSWORD`"),
    SMARTHOST_AUTH_WITHOUT_TLS(Source.ADAPTER, "SmarthostAuthWithoutTls", "outbox.smarthost-auth-without-tls", "false", "`false`",
            "`true`, `false`", "",
            "`true` lets AUTH go over a connection without TLS"),
    CONNECT_TIMEOUT_SECONDS(Source.ADAPTER, "ConnectTimeoutSeconds", "outbox.connect-timeout-seconds", 30, 1, 3600, "seconds",
            "wait for the TCP connection and the greeting"),
    READ_TIMEOUT_SECONDS(Source.ADAPTER, "ReadTimeoutSeconds", "outbox.read-timeout-seconds", 300, 1, 3600, "seconds",
            "wait for any one SMTP reply"),
    WRITE_TIMEOUT_SECONDS(Source.ADAPTER, "WriteTimeoutSeconds", "outbox.write-timeout-seconds", 300, 1, 3600, "seconds",
            "longest one write to an SMTP server may block (a server that stops reading)"),
    ATTEMPT_TIMEOUT_SECONDS(Source.ADAPTER, "AttemptTimeoutSeconds", "outbox.attempt-timeout-seconds",
            QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT.toSeconds(), 10, 86_400, "seconds",
            "longest one attempt at one message may take, connecting included; then its connection is closed and the message"
                    + " tried again later"),
    MAX_MESSAGE_SIZE_BYTES(Source.ADAPTER, "MaxMessageSizeBytes", "outbox.max-message-size-bytes", 10L * 1024 * 1024, 1024,
            Integer.MAX_VALUE, "bytes",
            "largest message accepted, counted with CRLF line endings"),
    MAX_RECIPIENTS(Source.ADAPTER, "MaxRecipients", "outbox.max-recipients", 1000, 1, 100_000, "recipients",
            "most recipients of one message, after duplicates are removed"),
    STORE_DIRECTORY(Source.ADAPTER, "StoreDirectory", "outbox.store-directory", null,
            "`outbox` under the server's data directory (`jboss.server.data.dir`)", "a directory", "",
            "where the embedded store keeps its journal (`journal/`, and `journal/corrupt/` for records set aside)"),
    MAX_STORE_BYTES(Source.ADAPTER, "MaxStoreBytes", "outbox.max-store-bytes", 4L * 1024 * 1024 * 1024, 64L * 1024 * 1024,
            Long.MAX_VALUE, "bytes",
            "size of the store at which `submit` throws `QueueFullException` (notices owed to senders are stored past it);"
                    + " the disk keeps 64 MiB free besides"),
    RETRY_SCHEDULE(Source.ADAPTER, "RetrySchedule", "outbox.retry-schedule", "1m,5m,15m,30m,1h,2h,4h", "`1m,5m,15m,30m,1h,2h,4h`",
            "each wait `" + RetrySchedule.DurationText.format(RetrySchedule.SHORTEST_WAIT) + "` to `"
                    + RetrySchedule.DurationText.format(RetrySchedule.LONGEST_WAIT) + "`",
            "durations (`ms`, `s`, `m`, `h`, `d`)",
            "waits after temporary failures, comma-separated, the last one repeating, each stretched by up to a tenth at random"),
    MAX_MESSAGE_AGE(Source.ADAPTER, "MaxMessageAge", "outbox.max-message-age", "2d", "`2d`",
            "`" + RetrySchedule.DurationText.format(QueuePolicy.SHORTEST_MAX_AGE) + "` to `"
                    + RetrySchedule.DurationText.format(QueuePolicy.LONGEST_MAX_AGE) + "`",
            "duration (`ms`, `s`, `m`, `h`, `d`)",
            "how long after submit an undelivered recipient expires"),
    DELAY_NOTICE_AFTER(Source.ADAPTER, "DelayNoticeAfter", "outbox.delay-notice-after", "4h", "`4h`",
            "`0` (no delay notices), or `1m` to `365d`", "duration (`ms`, `s`, `m`, `h`, `d`)",
            "a delay notice (DSN, Action: delayed) goes to the sender once per message still undelivered this long after submit"),
    DSN_FROM(Source.ADAPTER, "DsnFrom", "outbox.dsn-from", null, "`MAILER-DAEMON@` the EHLO name", "an address", "",
            "the From of delivery status notices (bounces and delay notices); they are sent with an empty MAIL FROM"),
    DSN_RETURN(Source.ADAPTER, "DsnReturn", "outbox.dsn-return", "headers", "`headers`", "`headers`, `full`", "",
            "what of the original a notice carries: its header (`text/rfc822-headers`), or `full`: the whole message when it is"
                    + " at most 64 KiB and 7-bit, else its header"),
    CONNECTIONS_PER_DESTINATION(Source.ADAPTER, "ConnectionsPerDestination", "outbox.connections-per-destination", 4, 1, 100,
            "connections",
            "most connections open to one destination at once: a default, then optional `destination=number` overrides"
                    + " (`4, example.com=10`)"),
    MESSAGES_PER_CONNECTION(Source.ADAPTER, "MessagesPerConnection", "outbox.messages-per-connection", 100, 1, 100_000,
            "messages",
            "most messages one connection carries before it is closed: a default, then optional `destination=number` overrides"
                    + " (`100, example.com=20`)"),
    MAX_CONNECTIONS(Source.ADAPTER, "MaxConnections", "outbox.max-connections", QueuePolicy.DEFAULT_MAX_CONNECTIONS, 1, 1000,
            "connections",
            "most SMTP connections open at once over all destinations, each on a long-running thread of the work manager;"
                    + " keep it below that pool's threads (50 in WildFly's default)"),
    BOOTSTRAP_CONTEXT(Source.ACTIVATION, null, "outbox.bootstrap-context", "default", "`default`",
            "a `bootstrap-context` of the jca subsystem", "",
            "the jca subsystem's bootstrap context, and so the work manager whose long-running threads carry the connections;"
                    + " a named one that does not exist keeps the adapter from starting until it is added"),
    SMARTHOST_VARIABLE(Source.ENVIRONMENT, null, "OUTBOX_SMARTHOST", null, "none", "as `outbox.smarthost`", "",
            "environment variable: the smarthost when `outbox.smarthost` is unset"),
    SMARTHOST_PASSWORD_VARIABLE(Source.ENVIRONMENT, null, "OUTBOX_SMARTHOST_PASSWORD", null, "none", "", "",
            "environment variable: the smarthost's password, the other place for it being `outbox.smarthost-password-file`;"
                    + " never logged or shown"),
    JOURNAL_DIRECT_IO(Source.JVM, null, "dev.outbox.journal.directIo", "true", "`true`",
            "`false` turns it off, any other value leaves it on", "",
            "write the journal with direct I/O where the file system allows it (`false`: through the page cache, for storage"
                    + " that handles direct I/O badly)"),
    JOURNAL_YIELD_WHILE_SYNCING(Source.JVM, null, "dev.outbox.journal.yieldWhileSyncing", "true", "`true`",
            "`false` turns it off, any other value leaves it on", "",
            "while the disk syncs a batch in under 400 us, a submitter waiting for its sync yields the CPU instead of sleeping,"
                    + " for at most twice the sync time (`false`: always sleep; saves some CPU, costs about a quarter of the"
                    + " submits a second on fast disks)");

    /** Where a setting is read. */
    enum Source {
        /** A JavaBean property of {@link OutboxResourceAdapter}, set by ironjacamar.xml from the system property. */
        ADAPTER,
        /** Read by ironjacamar.xml itself from the system property, when the archive is activated. */
        ACTIVATION,
        /** An environment variable of the server process, read by the adapter at start. */
        ENVIRONMENT,
        /** A system property read by the embedded store when it opens. */
        JVM
    }

    private final Source source;
    private final String bean;
    private final String key;
    private final String defaultValue;
    private final String shownDefault;
    private final String range;
    private final String unit;
    private final String meaning;
    private final long min;
    private final long max;

    /** A setting whose value is a whole number from {@code min} to {@code max}. */
    Setting(Source source, String bean, String key, long defaultValue, long min, long max, String unit, String meaning) {
        this(source, bean, key, Long.toString(defaultValue), Long.toString(defaultValue),
                max == Long.MAX_VALUE ? "at least " + min : min + ".." + max, unit, meaning, min, max);
    }

    /** A setting of any other form, whose range is checked where it is parsed. */
    Setting(Source source, String bean, String key, String defaultValue, String shownDefault, String range, String unit,
            String meaning) {
        this(source, bean, key, defaultValue, shownDefault, range, unit, meaning, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    Setting(Source source, String bean, String key, String defaultValue, String shownDefault, String range, String unit,
            String meaning, long min, long max) {
        this.source = source;
        this.bean = bean;
        this.key = key;
        this.defaultValue = defaultValue;
        this.shownDefault = shownDefault;
        this.range = range;
        this.unit = unit;
        this.meaning = meaning;
        this.min = min;
        this.max = max;
    }

    Source source() {
        return source;
    }

    /** The JavaBean property of the adapter (ra.xml's config-property-name), or null when it is none. */
    String bean() {
        return bean;
    }

    /** The name an operator sets: the system property, or the environment variable. */
    String key() {
        return key;
    }

    /** What the code reads when the setting is unset, or null when the default is worked out at start. */
    String defaultValue() {
        return defaultValue;
    }

    /** The default as README.md shows it (Markdown). */
    String shownDefault() {
        return shownDefault;
    }

    /** The values allowed (Markdown), or empty. */
    String range() {
        return range;
    }

    /** The unit of the value (Markdown), or empty. */
    String unit() {
        return unit;
    }

    /** What it does (Markdown), as README.md's table says it. */
    String meaning() {
        return meaning;
    }

    long min() {
        return min;
    }

    long max() {
        return max;
    }

    /** The adapter property's value, stripped, or null when it is unset or blank. */
    String text(Map<String, String> properties) {
        String value = properties.get(bean);
        return value == null || value.isBlank() ? null : value.strip();
    }

    /** The whole number set, or the default; refused when it is not one, or outside {@link #min}..{@link #max}. */
    long number(Map<String, String> properties) {
        String value = text(properties);
        if (value == null) {
            return Long.parseLong(defaultValue);
        }
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(is(value) + ", not a whole number in " + min + ".." + max);
        }
        if (parsed < min || parsed > max) {
            throw new IllegalArgumentException(is(value) + ", outside " + min + ".." + max);
        }
        return parsed;
    }

    /** The value set, or else the default, read by {@code parser}, whose {@link IllegalArgumentException} says what is wrong. */
    <T> T parse(Map<String, String> properties, Function<String, T> parser) {
        String value = text(properties);
        return read(value != null ? value : defaultValue, parser);
    }

    /** The value set read by {@code parser}, or null when it is unset. */
    <T> T parseIfSet(Map<String, String> properties, Function<String, T> parser) {
        String value = text(properties);
        return value == null ? null : read(value, parser);
    }

    /** {@code value} read by {@code parser}; its refusal is prefixed with this setting's name and the value. */
    <T> T read(String value, Function<String, T> parser) {
        try {
            return parser.apply(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(is(value) + ": " + e.getMessage(), e);
        }
    }

    private String is(String value) {
        return value == null ? key + " is unset" : key + " is \"" + value.replaceAll("\\p{Cntrl}", "?") + "\"";
    }
}
