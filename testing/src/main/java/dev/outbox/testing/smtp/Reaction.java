package dev.outbox.testing.smtp;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * What the server does instead of (or as) its default answer to one exchange. A value, made by
 * the factories below; the server acts on it on the connection's thread.
 *
 * <p>State follows the reply code, whoever wrote the reply: a 2xx to MAIL opens a transaction,
 * a 2xx to RCPT adds the recipient, a 3xx to DATA starts the data phase, a 2xx to the final
 * dot stores the message as acknowledged, a 2xx to EHLO, HELO or RSET and any reply to the
 * final dot end the transaction, and a 221 to QUIT closes the connection. Any other reply
 * changes nothing: the server waits for the next command.
 *
 * <ul>
 * <li>{@link #reply(String)}: send these lines (split at \n; each sent as written, plus CRLF,
 *     so a multi-line reply is written "250-first\n250 last").</li>
 * <li>{@link #delayThenReply(Duration, String)}, {@link #delayThenProceed(Duration)}: wait,
 *     then answer; closing the server ends the wait and the connection.</li>
 * <li>{@link #silence()}: never answer again; keep reading and discarding what the client
 *     sends (so its writes succeed and its reads time out) until it closes or the server does.</li>
 * <li>{@link #stopReading()}: never read again, so a client that writes blocks once the small
 *     socket buffers are full; the socket stays open until the server closes. At DATA the
 *     default reply (354) goes out first, so it is the data phase that blocks; at any other
 *     command there is no reply.</li>
 * <li>{@link #close()}: close the socket without a reply (a FIN).</li>
 * <li>{@link #reset()}: close with SO_LINGER 0 (an RST).</li>
 * <li>{@link #acceptThenClose()}: at END_OF_DATA only, store the message as not acknowledged
 *     and close without the 250 (the lost-reply case of RFC 1047). Elsewhere it is misuse: the
 *     connection is reset and {@link ScriptedSmtpServer#close()} reports it.</li>
 * <li>{@link #proceed()}: the default answer, as if no rule had matched.</li>
 * </ul>
 */
public final class Reaction {

    enum Kind { PROCEED, REPLY, SILENCE, STOP_READING, CLOSE, RESET, ACCEPT_THEN_CLOSE }

    private static final Reaction PROCEED = new Reaction(Kind.PROCEED, null, Duration.ZERO);
    private static final Reaction SILENCE = new Reaction(Kind.SILENCE, null, Duration.ZERO);
    private static final Reaction STOP_READING = new Reaction(Kind.STOP_READING, null, Duration.ZERO);
    private static final Reaction CLOSE = new Reaction(Kind.CLOSE, null, Duration.ZERO);
    private static final Reaction RESET = new Reaction(Kind.RESET, null, Duration.ZERO);
    private static final Reaction ACCEPT_THEN_CLOSE = new Reaction(Kind.ACCEPT_THEN_CLOSE, null, Duration.ZERO);

    private final Kind kind;
    private final String reply;
    private final Duration delay;

    private Reaction(Kind kind, String reply, Duration delay) {
        this.kind = kind;
        this.reply = reply;
        this.delay = delay;
    }

    /** Sends {@code lines} (one reply, lines split at \n) instead of the default. */
    public static Reaction reply(String lines) {
        return new Reaction(Kind.REPLY, checkedReply(lines), Duration.ZERO);
    }

    /** Waits {@code delay}, then sends {@code lines}. */
    public static Reaction delayThenReply(Duration delay, String lines) {
        return new Reaction(Kind.REPLY, checkedReply(lines), checkedDelay(delay));
    }

    /** Waits {@code delay}, then gives the default answer. */
    public static Reaction delayThenProceed(Duration delay) {
        return new Reaction(Kind.PROCEED, null, checkedDelay(delay));
    }

    /** Never answers again; drains the client's writes until either side closes. */
    public static Reaction silence() {
        return SILENCE;
    }

    /** Never reads again (after the 354, at DATA); holds the socket until the server closes. */
    public static Reaction stopReading() {
        return STOP_READING;
    }

    /** Closes the socket without a reply: the client reads EOF. */
    public static Reaction close() {
        return CLOSE;
    }

    /** Closes the socket with SO_LINGER 0: the client gets a connection reset. */
    public static Reaction reset() {
        return RESET;
    }

    /** At END_OF_DATA: stores the message unacknowledged and closes without a reply. */
    public static Reaction acceptThenClose() {
        return ACCEPT_THEN_CLOSE;
    }

    /** The default answer, explicitly (so later rules do not fire). */
    public static Reaction proceed() {
        return PROCEED;
    }

    Kind kind() {
        return kind;
    }

    /** The scripted reply, or null for the default one. */
    String replyOrNull() {
        return reply;
    }

    Duration delay() {
        return delay;
    }

    @Override
    public String toString() {
        String what = kind == Kind.REPLY ? "reply \"" + reply.replace("\n", "\\n") + "\"" : kind.name().toLowerCase(Locale.ROOT);
        return delay.isZero() ? what : "after " + delay + ", " + what;
    }

    private static String checkedReply(String lines) {
        Objects.requireNonNull(lines, "reply");
        if (lines.isEmpty()) {
            throw new IllegalArgumentException("a reply needs at least one line");
        }
        if (lines.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("reply lines are split at \\n and sent with CRLF; write no \\r: " + lines.replace("\r", "\\r"));
        }
        return lines;
    }

    private static Duration checkedDelay(Duration delay) {
        Objects.requireNonNull(delay, "delay");
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay is negative: " + delay);
        }
        return delay;
    }
}
