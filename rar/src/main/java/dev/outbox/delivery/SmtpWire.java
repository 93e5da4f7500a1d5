package dev.outbox.delivery;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The bytes of one SMTP connection once Angus has greeted, started TLS and logged in: commands
 * and message data gathered into one buffer and written in as few writes as they fit, and
 * replies read and parsed. {@link MailTransaction} speaks SMTP through it.
 *
 * <p>Commands are checked here, the last place before the socket: a CR, LF, NUL or any byte
 * outside printable ASCII in one throws {@link IllegalArgumentException}, so no text can add a
 * command of its own. Message data goes out with CRLF line ends (a bare CR or LF becomes CRLF),
 * a dot doubled at the start of each line, and CRLF "." CRLF after it (RFC 5321 4.5.2): content
 * can never end the data early, whatever its bytes.
 *
 * <p>Replies (RFC 5321 4.2): lines of a three-digit code, then "-" on every line but the last.
 * A reply that breaks that syntax, runs past {@value #MAX_REPLY_LINES} lines, or ends with the
 * connection throws {@link IOException}: the connection is then of no more use. Lines are cut
 * at {@value #MAX_LINE_CHARS} characters and a reply's text at {@value #MAX_REPLY_CHARS} (an
 * outcome keeps 1000) to bound memory, whatever the server sends: a transaction holds a reply
 * for each recipient until it ends.
 *
 * <p>Logs each line it writes or reads at FINEST under {@code dev.outbox.delivery.protocol},
 * where Angus logs the rest of the dialogue.
 *
 * <p>Threading: one thread at a time. Timeouts: reads wait at most the socket's SO_TIMEOUT;
 * each write at most the write timeout, after which the connection is aborted (on the shared
 * timer thread, as Angus's write timeout) and the write fails saying so.
 */
final class SmtpWire {

    private static final Logger PROTOCOL = Logger.getLogger("dev.outbox.delivery.protocol");
    private static final int MAX_REPLY_LINES = 100;
    private static final int MAX_LINE_CHARS = 1000;
    private static final int MAX_REPLY_CHARS = 2000;
    private static final int BUFFER_BYTES = 64 * 1024;

    private final Socket socket;
    /** The plain socket under {@link #socket} (the same one without TLS): closed whenever the connection ends, aborted or not. */
    private final Socket underlying;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] readBuffer = new byte[8192];
    private int readPosition;
    private int readLimit;
    private final byte[] writeBuffer = new byte[BUFFER_BYTES];
    private int written;
    private final ScheduledExecutorService timeouts;
    private final Duration writeTimeout;
    private final Runnable abort;
    private volatile boolean writeTimedOut;
    /** When the write under way started ({@link System#nanoTime}, never 0), or 0 while none is. */
    private volatile long writingSince;
    /** The watch's next check, null before the first flush; cancelled by {@link #close}: a check left queued would hold the wire's buffers for the whole timeout. */
    private volatile ScheduledFuture<?> watch;
    /** Set by {@link #close}: no check is due any more. */
    private volatile boolean ended;
    private int window;

    /**
     * The wire over {@code socket}, which may be layered over {@code underlying} (TLS); {@code abort}
     * closes the connection when a write blocks longer than {@code writeTimeout}.
     */
    SmtpWire(Socket socket, Socket underlying, ScheduledExecutorService timeouts, Duration writeTimeout, Runnable abort) throws IOException {
        this.socket = socket;
        this.underlying = underlying;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.timeouts = timeouts;
        this.writeTimeout = writeTimeout;
        this.abort = abort;
    }

    /** One server reply: its code and its lines as they came ("250-first", "250 last"), joined by LF, cut at {@value #MAX_REPLY_CHARS} characters. */
    record Reply(int code, String text) {

        boolean positive() {
            return code >= 200 && code < 300;
        }
    }

    /**
     * The most bytes of commands to write before reading their replies: half the socket's send
     * buffer (the kernel counts its own overhead in it), at least 4 KiB and at most the buffer
     * of one flush. That much goes into the send buffer whether or not the server reads.
     */
    int window() throws IOException {
        if (window == 0) { // asked once: the buffer only grows as the kernel tunes it, so the first size is the safe one
            window = Math.min(BUFFER_BYTES, Math.max(4096, socket.getSendBufferSize() / 2));
        }
        return window;
    }

    /** Adds {@code command} and CRLF to what the next {@link #flush} writes (writing out a full buffer first). */
    void command(String command) throws IOException {
        int length = command.length();
        for (int i = 0; i < length; i++) {
            char c = command.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                throw new IllegalArgumentException("refusing to send an SMTP command with " + String.format("U+%04X", (int) c)
                        + " at index " + i + ": only printable ASCII may reach the wire");
            }
        }
        if (PROTOCOL.isLoggable(Level.FINEST)) {
            PROTOCOL.finest(command);
        }
        room(length + 2);
        for (int i = 0; i < length; i++) {
            writeBuffer[written++] = (byte) command.charAt(i);
        }
        writeBuffer[written++] = '\r';
        writeBuffer[written++] = '\n';
    }

    /**
     * Adds {@code content} as the data of a message, then the "." that ends it, writing out the
     * buffer whenever it fills: CRLF line ends, each line's leading dot doubled, a last CRLF
     * added when the content lacks one. The bytes between line ends are copied in runs, not one
     * at a time: a 4 KiB message of 76-character lines costs about 2 us of CPU so, writes
     * included, against 6 us a byte at a time.
     */
    void data(byte[] content) throws IOException {
        boolean trace = PROTOCOL.isLoggable(Level.FINEST);
        int length = content.length;
        int lineStart = 0;
        while (lineStart < length) {
            int lineEnd = lineStart;
            while (lineEnd < length && content[lineEnd] != '\r' && content[lineEnd] != '\n') {
                lineEnd++;
            }
            if (content[lineStart] == '.') {
                put((byte) '.');
            }
            put(content, lineStart, lineEnd - lineStart);
            put((byte) '\r');
            put((byte) '\n');
            if (trace) {
                traceLine(content, lineStart, lineEnd);
            }
            if (lineEnd == length) {
                break; // the last line had no line end: the CRLF above is the one added
            }
            // CRLF is one line end; a bare CR or LF is one too, and became CRLF above.
            lineStart = content[lineEnd] == '\r' && lineEnd + 1 < length && content[lineEnd + 1] == '\n' ? lineEnd + 2 : lineEnd + 1;
        }
        put((byte) '.');
        put((byte) '\r');
        put((byte) '\n');
        if (trace) {
            PROTOCOL.finest(".");
        }
    }

    /** Adds one byte, writing out a full buffer first. */
    private void put(byte b) throws IOException {
        if (written == writeBuffer.length) {
            flush();
        }
        writeBuffer[written++] = b;
    }

    /** Adds bytes[from, from + count), writing out the buffer each time it fills. */
    private void put(byte[] bytes, int from, int count) throws IOException {
        while (count > 0) {
            if (written == writeBuffer.length) {
                flush();
            }
            int n = Math.min(count, writeBuffer.length - written);
            System.arraycopy(bytes, from, writeBuffer, written, n);
            written += n;
            from += n;
            count -= n;
        }
    }

    /** The line content[from, to) as it went out, its leading dot doubled. */
    private static void traceLine(byte[] content, int from, int to) {
        String line = new String(content, from, to - from, StandardCharsets.ISO_8859_1);
        PROTOCOL.finest(line.startsWith(".") ? "." + line : line);
    }

    /** Writes out what was added since the last flush, within the write timeout. */
    void flush() throws IOException {
        if (written == 0) {
            return;
        }
        int length = written;
        written = 0; // a failed write leaves nothing to resend: the connection is broken anyway
        if (watch == null) {
            watch(writeTimeout.toNanos());
        }
        writingSince = System.nanoTime() | 1;
        try {
            out.write(writeBuffer, 0, length);
            out.flush();
        } catch (IOException e) {
            if (writeTimedOut) {
                throw new IOException("the server took no data for " + writeTimeout.toMillis() + " ms (the write timeout)", e);
            }
            throw e;
        } finally {
            writingSince = 0;
        }
    }

    /**
     * The write timeout, kept lazily: one check per wire on the shared timer thread, due when the
     * write under way (if any) would reach the timeout, and due again from there, rather than a
     * timer set and cancelled around each write. Two of those a message woke the timer thread
     * about as often, a context switch each. A write under way for the whole timeout is cut;
     * the watch ends with the connection.
     */
    private void watch(long delayNanos) throws IOException {
        ScheduledFuture<?> next;
        try {
            next = timeouts.schedule(this::check, delayNanos, TimeUnit.NANOSECONDS);
        } catch (RejectedExecutionException e) {
            abort.run();
            throw new IOException("SMTP deliverer is closed: the adapter is stopping", e);
        }
        watch = next;
        if (ended) { // closed while it was scheduled: close() may have cancelled the one before
            next.cancel(false);
        }
    }

    /** The connection ended: its check leaves the timer's queue now, not when its time comes. Any thread. */
    void close() {
        ended = true;
        ScheduledFuture<?> next = watch;
        if (next != null) {
            next.cancel(false);
        }
    }

    /** On the timer thread: cuts a write under way for the write timeout, else watches on until the connection is closed. */
    private void check() {
        if (ended || socket.isClosed() || underlying.isClosed()) { // a TLS socket still says open after the plain one under it closed
            return;
        }
        long timeout = writeTimeout.toNanos();
        long since = writingSince;
        long writing = since == 0 ? 0 : System.nanoTime() - since;
        if (writing >= timeout) {
            cut();
            return;
        }
        try {
            watch(timeout - writing);
        } catch (IOException e) {
            // the deliverer is closing, and the connection with it (watch aborted it)
        }
    }

    private void cut() {
        writeTimedOut = true;
        abort.run();
    }

    /** Writes out the buffer when {@code bytes} more would not fit (a command is at most a few hundred bytes). */
    private void room(int bytes) throws IOException {
        if (written + bytes > writeBuffer.length) {
            flush();
        }
    }

    /**
     * True when the server sent something no command has asked for yet: bytes read ahead, or
     * waiting in the socket (for TLS, what was already decrypted). Between transactions that is
     * a reply out of step, which would be taken for the answer to the next command.
     */
    boolean hasUnreadInput() throws IOException {
        return readPosition < readLimit || in.available() > 0;
    }

    /** Reads the next reply, waiting at most the socket's read timeout for each part of it. */
    Reply read() throws IOException {
        StringBuilder text = new StringBuilder(64);
        int code = -1;
        for (int lines = 1; ; lines++) {
            String line = readLine();
            if (PROTOCOL.isLoggable(Level.FINEST)) {
                PROTOCOL.finest(line);
            }
            int lineCode = codeOf(line);
            if (lineCode < 0 || (code >= 0 && lineCode != code)) {
                throw new IOException("invalid SMTP reply line from the server: \"" + printable(line) + "\"");
            }
            code = lineCode;
            if (text.length() < MAX_REPLY_CHARS) { // the rest is read, and checked, but not kept
                if (!text.isEmpty()) {
                    text.append('\n');
                }
                text.append(line, 0, Math.min(line.length(), MAX_REPLY_CHARS - text.length()));
            }
            if (line.length() == 3 || line.charAt(3) == ' ') {
                return new Reply(code, text.toString());
            }
            if (lines == MAX_REPLY_LINES) {
                throw new IOException("SMTP reply of more than " + MAX_REPLY_LINES + " lines from the server");
            }
        }
    }

    /** The line's code, or -1 when it does not start with three digits and then a space, a "-" or nothing. */
    private static int codeOf(String line) {
        if (line.length() < 3 || (line.length() > 3 && line.charAt(3) != ' ' && line.charAt(3) != '-')) {
            return -1;
        }
        int code = 0;
        for (int i = 0; i < 3; i++) {
            char c = line.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            code = code * 10 + (c - '0');
        }
        return code >= 200 && code < 600 ? code : -1;
    }

    /** The next line without its CRLF (or bare LF), cut at MAX_LINE_CHARS characters. */
    private String readLine() throws IOException {
        StringBuilder line = new StringBuilder(64);
        while (true) {
            if (readPosition == readLimit) {
                int n = in.read(readBuffer);
                if (n < 0) {
                    throw new EOFException(line.isEmpty()
                            ? "the server closed the connection without a reply"
                            : "the server closed the connection within a reply line");
                }
                readPosition = 0;
                readLimit = n;
            }
            while (readPosition < readLimit) {
                byte b = readBuffer[readPosition++];
                if (b == '\n') {
                    int end = line.length();
                    if (end > 0 && line.charAt(end - 1) == '\r') {
                        line.setLength(end - 1);
                    }
                    return line.toString();
                }
                if (line.length() < MAX_LINE_CHARS) {
                    line.append((char) (b & 0xff));
                }
            }
        }
    }

    private static String printable(String line) {
        StringBuilder shown = new StringBuilder(Math.min(line.length(), 100));
        for (int i = 0; i < line.length() && i < 100; i++) {
            char c = line.charAt(i);
            shown.append(c < 0x20 || c > 0x7e ? '?' : c);
        }
        return shown.toString();
    }
}
