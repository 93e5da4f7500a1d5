package dev.outbox.testing.smtp;

import java.util.Locale;

/**
 * What a client did that the server answers: a command verb, or one of the two moments that
 * are not a command line ({@link #CONNECT}, answered by the greeting, and {@link #END_OF_DATA},
 * the final dot).
 *
 * <p>{@link #of(String)} classifies a command line by its verb, case-insensitively; a line
 * with no verb this server knows is {@link #OTHER}. It never returns CONNECT or END_OF_DATA:
 * the server names those itself.
 */
public enum Command {
    /** A client has connected; the answer is the greeting. */
    CONNECT,
    EHLO,
    HELO,
    MAIL,
    RCPT,
    DATA,
    /** The line "." that ends the data phase. */
    END_OF_DATA,
    RSET,
    NOOP,
    QUIT,
    /** Answered 220 and TLS started when the server has a TLS context, else 500 as unknown. */
    STARTTLS,
    /** SMTP AUTH (PLAIN or LOGIN) when the server has credentials, else 500 as unknown. */
    AUTH,
    /** Anything else (VRFY, a garbled line): 500 by default. */
    OTHER;

    /** The verb of {@code line}: its first word, any case; OTHER when it is none of the above. */
    public static Command of(String line) {
        int space = line.indexOf(' ');
        String verb = (space < 0 ? line : line.substring(0, space)).toUpperCase(Locale.ROOT);
        return switch (verb) {
            case "EHLO" -> EHLO;
            case "HELO" -> HELO;
            case "MAIL" -> MAIL;
            case "RCPT" -> RCPT;
            case "DATA" -> DATA;
            case "RSET" -> RSET;
            case "NOOP" -> NOOP;
            case "QUIT" -> QUIT;
            case "STARTTLS" -> STARTTLS;
            case "AUTH" -> AUTH;
            default -> OTHER;
        };
    }
}
