package dev.outbox.delivery;

import dev.outbox.queue.NextHop;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A tiny SMTP peer on a raw socket, for what the scripted server cannot do (trickled or endless
 * replies, small socket buffers): greeting, EHLO with PIPELINING, DATA, QUIT; every other line
 * goes to the handler, which may write raw bytes and returns the reply.
 */
final class RawSmtpPeer implements AutoCloseable {

    interface Handler {
        String answer(String line, OutputStream out) throws Exception;
    }

    private final ServerSocket listener;
    private final Thread thread;
    private final int bufferBytes;

    private RawSmtpPeer(Handler handler, int bufferBytes) throws IOException {
        listener = new ServerSocket();
        if (bufferBytes > 0) {
            listener.setReceiveBufferSize(bufferBytes); // before bind: the window it offers
        }
        listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 5);
        this.bufferBytes = bufferBytes;
        thread = new Thread(() -> serve(handler), "raw-smtp-peer");
        thread.setDaemon(true);
        thread.start();
    }

    static RawSmtpPeer start(Handler handler) throws IOException {
        return new RawSmtpPeer(handler, 0);
    }

    static RawSmtpPeer start(Handler handler, int bufferBytes) throws IOException {
        return new RawSmtpPeer(handler, bufferBytes);
    }

    NextHop hop() {
        return new NextHop("127.0.0.1", listener.getLocalPort());
    }

    private void serve(Handler handler) {
        while (!listener.isClosed()) {
            try (Socket socket = listener.accept()) {
                if (bufferBytes > 0) {
                    socket.setSendBufferSize(bufferBytes);
                }
                BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
                OutputStream out = socket.getOutputStream();
                write(out, "220 raw ESMTP");
                String line;
                boolean inData = false;
                while ((line = in.readLine()) != null) {
                    if (inData) {
                        if (line.equals(".")) {
                            inData = false;
                            write(out, "250 queued");
                        }
                        continue;
                    }
                    String upper = line.toUpperCase();
                    if (upper.startsWith("EHLO")) {
                        write(out, "250-raw\r\n250-PIPELINING\r\n250 8BITMIME");
                    } else if (upper.startsWith("DATA")) {
                        inData = true;
                        write(out, "354 go");
                    } else if (upper.startsWith("QUIT")) {
                        write(out, "221 bye");
                        break;
                    } else {
                        write(out, handler.answer(line, out));
                    }
                }
            } catch (Exception e) {
                // the client went away: wait for the next one
            }
        }
    }

    private static void write(OutputStream out, String reply) throws IOException {
        out.write((reply + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    @Override
    public void close() throws Exception {
        listener.close();
        thread.interrupt();
    }
}
