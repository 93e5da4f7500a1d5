package dev.outbox.queue;

import dev.outbox.api.MessageRejectedException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * RFC 5322 content as Outbox stores and sends it: every line ending CRLF (a bare CR or LF
 * becomes CRLF, so no line ending can be smuggled past the SMTP server as a different one),
 * the last line terminated, no NUL, no line over 998 octets, a header section that parses.
 *
 * <p>{@link #read} is the only way in: it reads the whole stream, stops early once the size
 * limit is passed, and throws {@link MessageRejectedException} naming the first defect and
 * where it is. Immutable once read.
 */
public final class CanonicalContent {

    /** RFC 5322 section 2.1.1: a line is at most 998 octets without its CRLF. */
    static final int MAX_LINE = 998;

    private final byte[] bytes;
    private final Set<String> headerNames;

    private CanonicalContent(byte[] bytes, Set<String> headerNames) {
        this.bytes = bytes;
        this.headerNames = headerNames;
    }

    /** Reads {@code in} to its end; the caller closes it. */
    public static CanonicalContent read(InputStream in, long maxBytes) throws MessageRejectedException, IOException {
        Scanner scanner = new Scanner(maxBytes);
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) {
            for (int i = 0; i < n; i++) {
                scanner.accept(buffer[i]);
            }
        }
        return scanner.finish();
    }

    /** The canonical bytes. Callers must not modify the array. */
    public byte[] bytes() {
        return bytes;
    }

    /** True if the header section has a field of this name (any case). */
    public boolean hasHeader(String name) {
        return headerNames.contains(name.toLowerCase(Locale.ROOT));
    }

    /** A copy with {@code fields} (each a complete "Name: value" line, no CRLF) put before the headers. */
    public CanonicalContent withLeadingFields(String... fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length + 128);
        Set<String> names = new HashSet<>(headerNames);
        for (String field : fields) {
            out.writeBytes(field.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.write('\r');
            out.write('\n');
            names.add(field.substring(0, field.indexOf(':')).toLowerCase(Locale.ROOT));
        }
        out.writeBytes(bytes);
        return new CanonicalContent(out.toByteArray(), names);
    }

    /** A byte-at-a-time state machine, so that the content is copied once. */
    private static final class Scanner {
        private final long maxBytes;
        // A plain array, not a ByteArrayOutputStream: its write(int) is synchronized, a lock per byte.
        private byte[] out = new byte[4096];
        private int size;
        private final StringBuilder fieldName = new StringBuilder();
        private final Set<String> headerNames = new HashSet<>();
        private boolean pendingCr;
        private int lineLength;
        private int lineNumber = 1;
        private boolean inHeaders = true;
        private boolean nameDone;

        Scanner(long maxBytes) {
            this.maxBytes = maxBytes;
        }

        void accept(byte b) throws MessageRejectedException {
            if (pendingCr) {
                pendingCr = false;
                endLine();
                if (b == '\n') {
                    return;
                }
            }
            switch (b) {
                case '\r' -> pendingCr = true;
                case '\n' -> endLine();
                case 0 -> throw reject("a NUL byte on line " + lineNumber);
                default -> {
                    if (++lineLength > MAX_LINE) {
                        throw reject("line " + lineNumber + " is longer than " + MAX_LINE + " octets (RFC 5322 section 2.1.1)");
                    }
                    if (inHeaders) {
                        header(b);
                    }
                    write(b);
                }
            }
        }

        private void header(byte b) throws MessageRejectedException {
            if (lineLength == 1 && (b == ' ' || b == '\t')) {
                if (lineNumber == 1) {
                    throw reject("line 1 starts with white space; the content must start with a header field");
                }
                nameDone = true;
                return;
            }
            if (nameDone) {
                return;
            }
            if (b == ':') {
                if (fieldName.isEmpty()) {
                    throw reject("line " + lineNumber + " is a header field without a name");
                }
                headerNames.add(fieldName.toString().toLowerCase(Locale.ROOT));
                nameDone = true;
            } else if (b < 33 || b > 126) {
                throw reject("line " + lineNumber + " is neither a header field nor the blank line that ends the headers");
            } else {
                fieldName.append((char) b);
            }
        }

        private void endLine() throws MessageRejectedException {
            if (inHeaders) {
                if (lineLength == 0) {
                    if (lineNumber == 1) {
                        throw reject("it starts with a blank line; the content must start with a header field");
                    }
                    inHeaders = false;
                } else if (!nameDone) {
                    throw reject("line " + lineNumber + " is neither a header field nor the blank line that ends the headers");
                }
            }
            write((byte) '\r');
            write((byte) '\n');
            fieldName.setLength(0);
            nameDone = false;
            lineLength = 0;
            lineNumber++;
        }

        private void write(byte b) throws MessageRejectedException {
            if (size >= maxBytes) {
                throw reject("it is larger than the limit of " + maxBytes + " bytes");
            }
            if (size == out.length) {
                out = Arrays.copyOf(out, (int) Math.min(Integer.MAX_VALUE - 8, out.length * 2L));
            }
            out[size++] = b;
        }

        CanonicalContent finish() throws MessageRejectedException {
            if (pendingCr || lineLength > 0) {
                pendingCr = false;
                endLine();
            }
            if (size == 0) {
                throw reject("it is empty");
            }
            return new CanonicalContent(Arrays.copyOf(out, size), Set.copyOf(headerNames));
        }

        private static MessageRejectedException reject(String defect) {
            return new MessageRejectedException("message content refused: " + defect);
        }
    }
}
