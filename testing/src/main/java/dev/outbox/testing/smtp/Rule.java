package dev.outbox.testing.smtp;

/**
 * One line of a server's script: given the exchange the server is about to answer, the
 * reaction to it, or null to leave it to the next rule (and, after the last, to the default
 * behaviour). {@link Rules} builds the usual ones.
 *
 * <p>A rule runs on the connection's thread, so several may run at once on a server with
 * several connections: a rule that counts must count atomically. A rule that throws ends that
 * connection with an RST, and {@link ScriptedSmtpServer#close()} reports the exception.
 */
@FunctionalInterface
public interface Rule {

    /** The reaction to {@code exchange}, or null for "not mine". */
    Reaction react(Exchange exchange);
}
