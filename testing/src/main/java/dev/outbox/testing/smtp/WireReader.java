package dev.outbox.testing.smtp;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reads a connection's input as lines of bytes, never decoding them, so 8-bit content and
 * bare LFs reach the server as the client sent them. Buffers at most {@value #BUFFER} bytes
 * ahead: a connection that stops calling it stops reading the socket. One thread only.
 */
final class WireReader {

    private static final int BUFFER = 8192;

    private final InputStream in;
    private final byte[] buffer = new byte[BUFFER];
    private int position;
    private int limit;

    WireReader(InputStream in) {
        this.in = in;
    }

    /**
     * The next line with its terminator (LF, or CRLF), or what came before EOF when the stream
     * ends inside a line, or null at EOF.
     */
    byte[] readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream(128);
        while (true) {
            if (position == limit && !fill()) {
                return line.size() == 0 ? null : line.toByteArray();
            }
            for (int i = position; i < limit; i++) {
                if (buffer[i] == '\n') {
                    line.write(buffer, position, i + 1 - position);
                    position = i + 1;
                    return line.toByteArray();
                }
            }
            line.write(buffer, position, limit - position);
            position = limit;
        }
    }

    /** Reads and throws away everything until EOF. */
    void drain() throws IOException {
        position = limit;
        while (fill()) {
            position = limit;
        }
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer);
        if (n < 0) {
            return false;
        }
        position = 0;
        limit = n;
        return true;
    }
}
