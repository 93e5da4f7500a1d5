package dev.outbox.testing.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * An SMTP client on a plain socket, for what Angus will not do: send raw bytes, read a reply
 * line by line, write without waiting. Replies are read with a 5 s timeout. One thread, except
 * {@link #close()}.
 */
final class RawClient implements AutoCloseable {

    private final Socket socket;
    private InputStream in;
    private OutputStream out;

    RawClient(ScriptedSmtpServer server) throws IOException {
        this(server, 0);
    }

    /** A client whose send buffer is {@code sendBufferBytes}, or the system's (autotuned) when 0. */
    RawClient(ScriptedSmtpServer server, int sendBufferBytes) throws IOException {
        socket = new Socket();
        if (sendBufferBytes > 0) {
            socket.setSendBufferSize(sendBufferBytes);
        }
        socket.connect(new InetSocketAddress(server.host(), server.port()));
        socket.setSoTimeout(5_000);
        in = socket.getInputStream();
        out = socket.getOutputStream();
    }

    /** Sends {@code line} and CRLF, and returns the whole reply, its lines joined with \n. */
    String command(String line) throws IOException {
        write((line + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return reply();
    }

    void write(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    /** One reply, up to its last line (the one with a space after the code); null at EOF. */
    String reply() throws IOException {
        StringBuilder reply = new StringBuilder();
        for (String line = line(); line != null; line = line()) {
            reply.append(reply.length() == 0 ? "" : "\n").append(line);
            if (line.length() < 4 || line.charAt(3) != '-') {
                return reply.toString();
            }
        }
        return reply.length() == 0 ? null : reply.toString();
    }

    Socket socket() {
        return socket;
    }

    /** Turns the connection into TLS as the client (after the server's 220 to STARTTLS) and returns the protocol and cipher. */
    String startTls(SSLContext context) throws IOException {
        SSLSocket tls = (SSLSocket) context.getSocketFactory().createSocket(socket, "localhost", socket.getPort(), true);
        tls.startHandshake();
        in = tls.getInputStream();
        out = tls.getOutputStream();
        return tls.getSession().getProtocol() + " " + tls.getSession().getCipherSuite();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        for (int b = in.read(); b >= 0; b = in.read()) {
            if (b == '\n') {
                byte[] bytes = line.toByteArray();
                int end = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
                return new String(bytes, 0, end, StandardCharsets.ISO_8859_1);
            }
            line.write(b);
        }
        return null;
    }
}
