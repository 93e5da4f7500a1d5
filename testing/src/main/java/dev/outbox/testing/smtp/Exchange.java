package dev.outbox.testing.smtp;

/**
 * What a {@link Rule} sees when the server is about to answer: the command, the line it came
 * in, and the counts a fault is usually keyed on. A value, taken on the connection's thread
 * just before the answer; rules may keep it.
 *
 * @param command            the verb, or CONNECT (the greeting) or END_OF_DATA (the final dot)
 * @param line               the command line as received, without CRLF, bytes as ISO-8859-1;
 *                           "" for CONNECT and "." for END_OF_DATA
 * @param connection         the connection's number, 1-based in the order the server accepted them
 * @param messagesCompleted  messages this connection has had answered 250 after the dot
 * @param recipientsAccepted RCPTs accepted so far in the current transaction (not counting this one)
 * @param messagesAccepted   messages the whole server has stored so far, as {@link ScriptedSmtpServer#received()} counts them
 */
public record Exchange(Command command, String line, int connection, int messagesCompleted,
                       int recipientsAccepted, int messagesAccepted) {

    /** The line after the verb and one space ("FROM:&lt;a@b&gt; BODY=8BITMIME" for MAIL), or "" when there is none. */
    public String argument() {
        int space = line.indexOf(' ');
        return space < 0 ? "" : line.substring(space + 1);
    }
}
