package dev.outbox.delivery;

import java.util.Objects;

/**
 * Who Outbox logs in as at the smarthost (SMTP AUTH, PLAIN or LOGIN as the server offers).
 * Its {@link #toString()} shows the username and never the password.
 *
 * @param username   the name sent in AUTH, as {@code outbox.smarthost-username} gives it
 * @param password   never printed (see {@link Secret})
 * @param withoutTls true when AUTH may go over a connection without TLS
 *                   ({@code outbox.smarthost-auth-without-tls}); by default Outbox refuses to
 *                   send the credentials in plain text and the connection fails instead
 */
public record SmarthostLogin(String username, Secret password, boolean withoutTls) {

    public SmarthostLogin {
        if (username == null || username.isBlank() || username.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("smarthost username \"" + String.valueOf(username).replaceAll("\\p{Cntrl}", "?")
                    + "\" is empty or has control characters");
        }
        Objects.requireNonNull(password, "password");
    }
}
