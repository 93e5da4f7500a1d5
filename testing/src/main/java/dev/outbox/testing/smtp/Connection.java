package dev.outbox.testing.smtp;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;

/**
 * One client's SMTP session on a {@link ScriptedSmtpServer}: reads its commands, asks the
 * server's script for each answer, falls back to the default one, and keeps the transaction
 * (MAIL, RCPTs, data) the answers have built. A 220 to STARTTLS turns the session into TLS
 * over the same socket, when the server has a TLS context; AUTH runs its challenges here.
 *
 * <p>{@link #run()} is the connection's thread from greeting to close; {@link #abort()} is
 * for the server's close, from another thread, and ends whatever the session is blocked in.
 * Everything else is confined to the connection's thread; what others read goes through the
 * server's thread-safe records.
 */
final class Connection implements Runnable {

    private final ScriptedSmtpServer server;
    /** The plain socket: closing it ends a TLS session over it too. */
    private final Socket socket;
    private final int number;
    private WireReader in;
    private OutputStream out;
    /** The TLS socket after STARTTLS, or null. */
    private SSLSocket tls;

    private int messagesCompleted;
    /** The MAIL argument after "FROM:", or null outside a transaction. */
    private String mailFrom;
    private final List<String> recipients = new ArrayList<>();
    private byte[] data;

    Connection(ScriptedSmtpServer server, Socket socket, int number) {
        this.server = server;
        this.socket = socket;
        this.number = number;
    }

    int number() {
        return number;
    }

    @Override
    public void run() {
        try (socket) {
            in = new WireReader(socket.getInputStream());
            out = new BufferedOutputStream(socket.getOutputStream());
            boolean open = answer(Command.CONNECT, "");
            while (open) {
                byte[] raw = in.readLine();
                if (raw == null) {
                    return; // the client closed
                }
                String line = new String(raw, 0, withoutTerminator(raw), StandardCharsets.ISO_8859_1);
                Command command = Command.of(line);
                server.heard(number, "C: " + (command == Command.AUTH ? masked(line) : line));
                open = answer(command, line);
            }
        } catch (IOException e) {
            // The client went away, or the server's close() closed the socket under us: either ends the session.
        } catch (RuntimeException | Error e) {
            server.problem(new AssertionError("connection " + number + " failed: " + e, e));
        } finally {
            server.ended(this);
        }
    }

    /** Closes the socket from another thread: reads and writes in progress fail, and the session ends. */
    void abort() {
        try {
            socket.close();
        } catch (IOException e) {
            // Closing is all we wanted; nothing is left to release.
        }
    }

    /** Answers one exchange as the script says; false when the session is over. */
    private boolean answer(Command command, String line) throws IOException {
        server.counted(command);
        Exchange exchange = new Exchange(command, line, number, messagesCompleted, recipients.size(), server.messagesAccepted());
        Reaction reaction = server.reactionTo(exchange);
        if (!reaction.delay().isZero() && server.awaitClose(reaction.delay())) {
            return false;
        }
        return switch (reaction.kind()) {
            case PROCEED -> respond(exchange, command == Command.AUTH ? authenticate(exchange.argument()) : defaultReply(exchange));
            case REPLY -> respond(exchange, reaction.replyOrNull());
            case SILENCE -> {
                in.drain();
                yield false;
            }
            case STOP_READING -> {
                if (command == Command.DATA) {
                    send(defaultReply(exchange)); // the 354, so that what blocks is the data phase
                }
                server.awaitClose(null);
                yield false;
            }
            case CLOSE -> false;
            case RESET -> {
                socket.setSoLinger(true, 0);
                yield false;
            }
            case ACCEPT_THEN_CLOSE -> {
                if (command != Command.END_OF_DATA) {
                    server.problem(new AssertionError("acceptThenClose() is for END_OF_DATA, not " + command
                            + " (connection " + number + ": " + line + "); the connection was reset"));
                    socket.setSoLinger(true, 0);
                } else {
                    server.store(new Received(number, Objects.requireNonNullElse(mailFrom, ""), recipients, data, false));
                }
                yield false;
            }
        };
    }

    /** Sends {@code reply}, then lets its code decide what the exchange changed (see {@link Reaction}). */
    private boolean respond(Exchange exchange, String reply) throws IOException {
        char kind = codeClass(reply);
        if (exchange.command() == Command.END_OF_DATA && kind == '2') {
            // Stored before the reply goes out: a client that has its 250 finds the message recorded.
            server.store(new Received(number, Objects.requireNonNullElse(mailFrom, ""), recipients, data, true));
            messagesCompleted++;
        }
        send(reply);
        switch (exchange.command()) {
            case EHLO, HELO, RSET -> {
                if (kind == '2') {
                    endTransaction();
                }
            }
            case MAIL -> {
                if (kind == '2') {
                    endTransaction();
                    mailFrom = afterColon(exchange.argument());
                }
            }
            case RCPT -> {
                if (kind == '2') {
                    recipients.add(address(afterColon(exchange.argument())));
                }
            }
            case DATA -> {
                if (kind == '3') {
                    data = readData();
                    return data != null && answer(Command.END_OF_DATA, ".");
                }
            }
            case END_OF_DATA -> endTransaction();
            case STARTTLS -> {
                if (reply.startsWith("220") && tls == null && server.tlsContext() != null) {
                    return startTls();
                }
            }
            case QUIT -> {
                return !reply.startsWith("221");
            }
            default -> {
            }
        }
        return true;
    }

    private String defaultReply(Exchange exchange) {
        return switch (exchange.command()) {
            case CONNECT -> "220 scripted ESMTP";
            case EHLO -> ehloReply(exchange.argument());
            case HELO -> "250 scripted";
            case MAIL -> mailFrom == null ? "250 2.1.0 Ok" : "503 5.5.1 Error: nested MAIL command";
            case RCPT -> mailFrom == null ? "503 5.5.1 Error: need MAIL command" : "250 2.1.5 Ok";
            case DATA -> recipients.isEmpty() ? "554 5.5.1 Error: no valid recipients" : "354 End data with <CR><LF>.<CR><LF>";
            case END_OF_DATA -> "250 2.0.0 Ok: queued as " + server.nextQueueId();
            case RSET, NOOP -> "250 2.0.0 Ok";
            case QUIT -> "221 2.0.0 Bye";
            case STARTTLS -> server.tlsContext() == null ? "500 5.5.2 Error: command not recognized"
                    : tls != null ? "554 5.5.1 Error: TLS already active" : "220 2.0.0 Ready to start TLS";
            case AUTH, OTHER -> "500 5.5.2 Error: command not recognized";
        };
    }

    private String ehloReply(String client) {
        List<String> extensions = new ArrayList<>(server.extensions());
        if (server.tlsContext() != null && tls == null) {
            extensions.add("STARTTLS");
        }
        if (server.credentials() != null) {
            extensions.add("AUTH PLAIN LOGIN");
        }
        StringBuilder reply = new StringBuilder("250").append(extensions.isEmpty() ? ' ' : '-').append("scripted greets ").append(client);
        for (int i = 0; i < extensions.size(); i++) {
            reply.append('\n').append("250").append(i == extensions.size() - 1 ? ' ' : '-').append(extensions.get(i));
        }
        return reply.toString();
    }

    /**
     * The data phase up to CRLF.CRLF, each stuffed line's first dot removed; null when the
     * client closed before the final dot.
     */
    private byte[] readData() throws IOException {
        ByteArrayOutputStream content = new ByteArrayOutputStream(8192);
        boolean lineStart = true; // at the start of the data or just after a CRLF: where a dot means something
        for (byte[] line = in.readLine(); line != null; line = in.readLine()) {
            if (lineStart && line.length == 3 && line[0] == '.' && line[1] == '\r' && line[2] == '\n') {
                server.heard(number, "C: <" + content.size() + " bytes of data>");
                server.heard(number, "C: .");
                return content.toByteArray();
            }
            int from = lineStart && line[0] == '.' ? 1 : 0;
            content.write(line, from, line.length - from);
            lineStart = line.length >= 2 && line[line.length - 2] == '\r' && line[line.length - 1] == '\n';
        }
        server.heard(number, "C: <" + content.size() + " bytes of data, then EOF before the final dot>");
        return null;
    }

    /**
     * Turns the session into TLS after the 220: handshake as the server, then new streams, and
     * everything learnt before forgotten (RFC 3207 section 4.2). False when the handshake failed,
     * which ends the session.
     */
    private boolean startTls() throws IOException {
        SSLContext context = server.tlsContext();
        SSLSocket upgraded = (SSLSocket) context.getSocketFactory().createSocket(socket, socket.getInetAddress().getHostAddress(),
                socket.getPort(), true);
        upgraded.setUseClientMode(false);
        try {
            upgraded.startHandshake();
        } catch (SSLException e) {
            server.heard(number, "S: <TLS handshake failed: " + e.getMessage() + ">");
            return false;
        }
        tls = upgraded;
        in = new WireReader(upgraded.getInputStream());
        out = new BufferedOutputStream(upgraded.getOutputStream());
        endTransaction();
        SSLSession session = upgraded.getSession();
        server.heard(number, "S: <TLS " + session.getProtocol() + " " + session.getCipherSuite() + ">");
        return true;
    }

    /**
     * The final reply to AUTH with {@code argument} ("PLAIN [response]" or "LOGIN [username]"),
     * after the challenges each mechanism needs: 235 for the server's credentials, else 535.
     */
    private String authenticate(String argument) throws IOException {
        ScriptedSmtpServer.Credentials expected = server.credentials();
        if (expected == null) {
            return "500 5.5.2 Error: command not recognized";
        }
        String[] words = argument.split(" ", 2);
        String mechanism = words[0].toUpperCase(Locale.ROOT);
        String initial = words.length > 1 ? words[1] : null;
        String username;
        String password;
        try {
            if (mechanism.equals("PLAIN")) {
                String response = initial != null ? initial : challenge("334 ");
                if (response == null) {
                    return "501 5.7.0 Authentication aborted";
                }
                String[] parts = decode(response).split("\0", -1); // authorization id, username, password
                if (parts.length != 3) {
                    return "501 5.5.2 Cannot decode AUTH PLAIN response";
                }
                username = parts[1];
                password = parts[2];
            } else if (mechanism.equals("LOGIN")) {
                String user = initial != null ? initial : challenge("334 VXNlcm5hbWU6");
                String pass = user == null ? null : challenge("334 UGFzc3dvcmQ6");
                if (pass == null) {
                    return "501 5.7.0 Authentication aborted";
                }
                username = decode(user);
                password = decode(pass);
            } else {
                return "504 5.5.4 Unrecognized authentication type";
            }
        } catch (IllegalArgumentException e) {
            return "501 5.5.2 Cannot decode response";
        }
        return expected.username().equals(username) && expected.password().equals(password)
                ? "235 2.7.0 Authentication successful"
                : "535 5.7.8 Error: authentication failed: authentication failure";
    }

    /** Sends {@code prompt} and reads the client's answer; null when the client cancelled with "*". */
    private String challenge(String prompt) throws IOException {
        send(prompt);
        byte[] raw = in.readLine();
        if (raw == null) {
            throw new IOException("the client closed during AUTH");
        }
        String line = new String(raw, 0, withoutTerminator(raw), StandardCharsets.ISO_8859_1);
        server.heard(number, "C: <AUTH response>");
        return line.equals("*") ? null : line;
    }

    private static String decode(String base64) {
        return new String(Base64.getDecoder().decode(base64.strip()), StandardCharsets.UTF_8);
    }

    /** "AUTH PLAIN AGFubgBzM2NyZXQ=" as "AUTH PLAIN <credentials>": the transcript never holds them. */
    private static String masked(String authLine) {
        String[] words = authLine.split(" ", 3);
        return words.length < 3 ? authLine : words[0] + " " + words[1] + " <credentials>";
    }

    private void send(String reply) throws IOException {
        for (String line : reply.split("\n", -1)) {
            server.heard(number, "S: " + line);
            out.write(line.getBytes(StandardCharsets.ISO_8859_1));
            out.write('\r');
            out.write('\n');
        }
        out.flush();
    }

    private void endTransaction() {
        mailFrom = null;
        recipients.clear();
        data = null;
    }

    /** The first digit of the last line's code ('2' for "250-a\n250 b"), or '?' when it has none. */
    private static char codeClass(String reply) {
        String last = reply.substring(reply.lastIndexOf('\n') + 1);
        return last.isEmpty() ? '?' : last.charAt(0);
    }

    /** "FROM:&lt;a@b&gt; SIZE=1" without "FROM:" (any case, spaces after the colon allowed). */
    private static String afterColon(String argument) {
        int colon = argument.indexOf(':');
        return colon < 0 ? argument : argument.substring(colon + 1).stripLeading();
    }

    /** "&lt;a@b&gt; NOTIFY=NEVER" as "a@b". */
    private static String address(String path) {
        int space = path.indexOf(' ');
        String address = space < 0 ? path : path.substring(0, space);
        return address.startsWith("<") && address.endsWith(">") ? address.substring(1, address.length() - 1) : address;
    }

    private static int withoutTerminator(byte[] line) {
        int end = line.length;
        if (end > 0 && line[end - 1] == '\n') {
            end--;
        }
        if (end > 0 && line[end - 1] == '\r') {
            end--;
        }
        return end;
    }
}
