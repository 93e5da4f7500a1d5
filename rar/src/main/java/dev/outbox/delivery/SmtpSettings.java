package dev.outbox.delivery;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * How Outbox speaks SMTP to every next hop.
 *
 * @param heloName       the name given in EHLO/HELO; a bare IP address is turned into the
 *                       address literal RFC 5321 section 4.1.4 requires ({@code [192.0.2.1]},
 *                       {@code [IPv6:2001:db8::1]})
 * @param connectTimeout how long to wait for the TCP connection and greeting
 * @param readTimeout    how long to wait for any one reply
 * @param writeTimeout   how long one write to the socket may block (a peer that stops reading)
 */
public record SmtpSettings(String heloName, Duration connectTimeout, Duration readTimeout, Duration writeTimeout) {

    private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    public SmtpSettings {
        if (heloName == null || heloName.isBlank() || !heloName.matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
            throw new IllegalArgumentException("HELO name \"" + String.valueOf(heloName).replaceAll("\\p{Cntrl}", "?")
                    + "\" is not a host name or address literal");
        }
        heloName = addressLiteral(heloName);
        requirePositive("connect timeout", connectTimeout);
        requirePositive("read timeout", readTimeout);
        requirePositive("write timeout", writeTimeout);
    }

    /** The write timeout equal to the read timeout. */
    public SmtpSettings(String heloName, Duration connectTimeout, Duration readTimeout) {
        this(heloName, connectTimeout, readTimeout, readTimeout);
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
