package dev.outbox.delivery;

import java.time.Duration;

/**
 * How Outbox speaks SMTP to every next hop.
 *
 * @param heloName       the name given in EHLO/HELO
 * @param connectTimeout how long to wait for the TCP connection and greeting
 * @param readTimeout    how long to wait for any one reply
 */
public record SmtpSettings(String heloName, Duration connectTimeout, Duration readTimeout) {

    public SmtpSettings {
        if (heloName == null || heloName.isBlank() || !heloName.matches("[A-Za-z0-9.\\-\\[\\]:]+")) {
            throw new IllegalArgumentException("HELO name \"" + String.valueOf(heloName).replaceAll("\\p{Cntrl}", "?")
                    + "\" is not a host name or address literal");
        }
        requirePositive("connect timeout", connectTimeout);
        requirePositive("read timeout", readTimeout);
    }

    private static void requirePositive(String what, Duration duration) {
        if (duration == null || duration.isNegative() || duration.isZero() || duration.toMillis() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " " + duration + " must be positive and at most " + Integer.MAX_VALUE + " ms");
        }
    }
}
