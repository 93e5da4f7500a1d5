package dev.outbox.delivery;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.net.ssl.SSLSocketFactory;

/**
 * How Outbox speaks SMTP to every next hop.
 *
 * @param heloName       the name given in EHLO/HELO; a bare IP address is turned into the
 *                       address literal RFC 5321 section 4.1.4 requires ({@code [192.0.2.1]},
 *                       {@code [IPv6:2001:db8::1]})
 * @param connectTimeout how long to wait for the TCP connection and greeting
 * @param readTimeout    how long to wait for any one reply
 * @param writeTimeout   how long one write to the socket may block (a peer that stops reading)
 * @param tls            how STARTTLS is used (see {@link TlsPolicy})
 * @param trustStore     what the smarthost's certificate is verified against under
 *                       {@link TlsPolicy#REQUIRED}, or null for the JDK's trust store
 * @param login          who Outbox logs in as at the smarthost, or null for no AUTH
 */
public record SmtpSettings(String heloName, Duration connectTimeout, Duration readTimeout, Duration writeTimeout,
                           TlsPolicy tls, TrustStore trustStore, SmarthostLogin login) {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    public SmtpSettings {
        heloName = checkedHeloName(heloName);
        requirePositive("connect timeout", connectTimeout);
        requirePositive("read timeout", readTimeout);
        requirePositive("write timeout", writeTimeout);
        Objects.requireNonNull(tls, "tls");
        if (tls == TlsPolicy.NONE && login != null && !login.withoutTls()) {
            throw new IllegalArgumentException("outbox.tls is none and outbox.smarthost-username is set: the password would go"
                    + " in plain text; use opportunistic or required TLS, or allow it with outbox.smarthost-auth-without-tls=true");
        }
    }

    /**
     * {@code name} as EHLO gives it: a host name unchanged, a bare IP address as its address
     * literal; refused with {@link IllegalArgumentException} when it is neither.
     */
    public static String checkedHeloName(String name) {
        if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
            throw new IllegalArgumentException("HELO name \"" + String.valueOf(name).replaceAll("\\p{Cntrl}", "?")
                    + "\" is not a host name or address literal");
        }
        return addressLiteral(name);
    }

    /** Opportunistic TLS, the JDK's trust store, no AUTH. */
    public SmtpSettings(String heloName, Duration connectTimeout, Duration readTimeout, Duration writeTimeout) {
        this(heloName, connectTimeout, readTimeout, writeTimeout, TlsPolicy.OPPORTUNISTIC, null, null);
    }

    /** The write timeout equal to the read timeout; opportunistic TLS, no AUTH. */
    public SmtpSettings(String heloName, Duration connectTimeout, Duration readTimeout) {
        this(heloName, connectTimeout, readTimeout, readTimeout);
    }

    public SmtpSettings withTls(TlsPolicy policy) {
        return new SmtpSettings(heloName, connectTimeout, readTimeout, writeTimeout, policy, trustStore, login);
    }

    public SmtpSettings withTrustStore(TrustStore store) {
        return new SmtpSettings(heloName, connectTimeout, readTimeout, writeTimeout, tls, store, login);
    }

    public SmtpSettings withLogin(SmarthostLogin smarthostLogin) {
        return new SmtpSettings(heloName, connectTimeout, readTimeout, writeTimeout, tls, trustStore, smarthostLogin);
    }

    /** What a verified smarthost's chain is checked against: the trust store setting, else the JDK's. */
    SSLSocketFactory verifyingSocketFactory() {
        return trustStore != null ? trustStore.socketFactory() : TlsContexts.jdkTrust();
    }

    private static String addressLiteral(String name) {
        if (name.startsWith("[")) {
            return name;
        }
        if (IPV4.matcher(name).matches()) {
            return "[" + name + "]";
        }
        return name.indexOf(':') >= 0 ? "[IPv6:" + name + "]" : name;
    }

    private static void requirePositive(String what, Duration duration) {
        if (duration == null || duration.isNegative() || duration.isZero() || duration.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " " + duration + " must be positive and at most " + Integer.MAX_VALUE + " ms");
        }
    }
}
