package dev.outbox.delivery;

import dev.outbox.testing.CapturedLogs;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.LogRecord;

import static dev.outbox.delivery.LoopbackSmtp.TIMEOUTS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that {@link SmtpWire#data} puts on the wire exactly what a plain byte-at-a-time
 * canonicalizer (CRLF line ends, a bare CR or LF made CRLF, a leading dot doubled, CRLF added
 * when missing, then "." CRLF) makes of the same content, byte for byte, over a real socket: for
 * random content rich in CR, LF and dots, and for every line end and dot that falls at, just
 * before or just after the edge of the 64 KiB write buffer; and that its FINEST trace shows each
 * line as it went out.
 */
class CanonicalDataTest {

    private static final int BUFFER = 64 * 1024;
    private static final byte[] ALPHABET = {'\r', '\n', '.', '.', 'a', 'b', ' ', (byte) 0xe9};
    private static final List<String> LINE_ENDS_AND_DOTS = List.of(
            "\r\n", "\n", "\r", "\r\r\n", "\n\r", "\r\n\r\n", "\n\n", "\r\r", ".", "\r\n.", "\n.", "\r.", "\r\r\n.", "\r\n..\r\n");

    /** What Outbox wrote before this change, one byte at a time: the reference the wire must match. */
    private static byte[] canonical(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + content.length / 8 + 8);
        boolean atLineStart = true;
        for (int i = 0; i < content.length; i++) {
            byte b = content[i];
            if (b == '\r' || b == '\n') {
                out.write('\r');
                out.write('\n');
                if (b == '\r' && i + 1 < content.length && content[i + 1] == '\n') {
                    i++;
                }
                atLineStart = true;
            } else {
                if (atLineStart && b == '.') {
                    out.write('.');
                }
                out.write(b);
                atLineStart = false;
            }
        }
        if (!atLineStart) {
            out.write('\r');
            out.write('\n');
        }
        out.write('.');
        out.write('\r');
        out.write('\n');
        return out.toByteArray();
    }

    /** One content given to the wire, after a command of {@code shift} bytes (0: none) that moves where in the buffer it starts. */
    private record Case(String name, byte[] content, int shift) {

        byte[] expected() {
            byte[] data = canonical(content);
            if (shift == 0) {
                return data;
            }
            byte[] command = ("X".repeat(shift - 2) + "\r\n").getBytes(StandardCharsets.US_ASCII);
            byte[] both = Arrays.copyOf(command, command.length + data.length);
            System.arraycopy(data, 0, both, command.length, data.length);
            return both;
        }
    }

    @Test
    void randomContentGoesOutAsTheReferenceMakesIt() throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < 3000; i++) {
            byte[] content = randomContent(random, i % 100 == 0 ? 300_000 : 600);
            int shift = random.nextInt(4) == 0 ? 2 + random.nextInt(BUFFER - 2) : 0;
            cases.add(new Case("random #" + i + " of seed " + seed, content, shift));
        }
        assertSameAsReference(cases, false);
    }

    @Test
    void lineEndsAndDotsAtTheEdgeOfTheBufferGoOutAsTheReferenceMakesThem() throws Exception {
        List<Case> cases = new ArrayList<>();
        cases.add(new Case("empty", new byte[0], 0));
        cases.add(new Case("empty after a command filling the buffer", new byte[0], BUFFER));
        cases.add(new Case("one line longer than the buffer, no line end", ascii("a".repeat(3 * BUFFER + 7)), 0));
        cases.add(new Case("one line longer than the buffer, a dot first", ascii("." + "a".repeat(2 * BUFFER)), 0));
        for (String mark : LINE_ENDS_AND_DOTS) {
            for (int before = BUFFER - 5; before <= BUFFER + 2; before++) {
                // the mark at byte `before` of the output, and again one buffer later
                String line = "a".repeat(before);
                cases.add(new Case(printable(mark) + " at " + before, ascii(line + mark + "b"), 0));
                cases.add(new Case(printable(mark) + " at " + before + " and at the end", ascii(line + mark), 0));
                cases.add(new Case(printable(mark) + " at " + before + " and " + (before + BUFFER),
                        ascii(line + mark + "c".repeat(BUFFER - mark.length()) + mark + "d"), 0));
            }
            for (int shift = BUFFER - 5; shift <= BUFFER; shift++) {
                // the content's first byte at byte `shift` of the buffer: a first line's dot, or a first line end
                cases.add(new Case(printable(mark) + " first, after " + shift, ascii(mark + "x"), shift));
                cases.add(new Case(printable(mark) + " alone, after " + shift, ascii(mark), shift));
            }
        }
        assertSameAsReference(cases, false);
    }

    @Test
    void theTraceShowsEachLineAsItWentOut() throws Exception {
        Random random = new Random(42);
        List<Case> cases = new ArrayList<>();
        for (String mark : LINE_ENDS_AND_DOTS) {
            cases.add(new Case(printable(mark) + " in lines", ascii(".one" + mark + "two" + mark + mark + "..three"), 0));
        }
        for (int i = 0; i < 200; i++) {
            cases.add(new Case("random #" + i + " of seed 42", randomContent(random, 200), 0));
        }
        assertSameAsReference(cases, true);
    }

    /** Writes every case through one wire, after each its flush, and compares what the server end read, case by case. */
    private static void assertSameAsReference(List<Case> cases, boolean checkTrace) throws Exception {
        try (CapturedLogs logs = checkTrace ? CapturedLogs.capture("dev.outbox.delivery.protocol") : null;
             ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
             Socket client = new Socket(listener.getInetAddress(), listener.getLocalPort());
             Socket server = listener.accept()) {
            CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readAll(server));
            SmtpWire wire = new SmtpWire(client, client, TIMEOUTS, Duration.ofSeconds(30), () -> { });
            int tracedBefore = 0;
            for (Case c : cases) {
                if (c.shift() > 0) {
                    wire.command("X".repeat(c.shift() - 2));
                }
                wire.data(c.content());
                wire.flush();
                if (logs != null) {
                    List<String> traced = logs.records().stream()
                            .filter(r -> r.getLoggerName().equals("dev.outbox.delivery.protocol")).map(LogRecord::getMessage).toList();
                    assertEquals(expectedTrace(c), traced.subList(tracedBefore, traced.size()), c.name());
                    tracedBefore = traced.size();
                }
            }
            client.shutdownOutput();
            byte[] wrote = read.get(60, TimeUnit.SECONDS);
            int at = 0;
            for (Case c : cases) {
                byte[] expected = c.expected();
                byte[] actual = Arrays.copyOfRange(wrote, at, Math.min(wrote.length, at + expected.length));
                assertArrayEquals(expected, actual, () -> c.name() + ": content " + printable(new String(c.content(), StandardCharsets.ISO_8859_1)));
                at += expected.length;
            }
            assertEquals(at, wrote.length, "nothing after the last case");
        }
    }

    /** The lines the wire traces for {@code c}: each line of the canonical data as it went out, then the ".". */
    private static List<String> expectedTrace(Case c) {
        String data = new String(canonical(c.content()), StandardCharsets.ISO_8859_1);
        return Arrays.asList(data.split("\r\n")); // CR appears only in CRLF in it: each piece is one line
    }

    private static byte[] readAll(Socket server) {
        try (InputStream in = server.getInputStream()) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("reading what the wire wrote: " + e.getMessage(), e);
        }
    }

    /** Random bytes of ALPHABET, in runs now and then: up to {@code max} bytes, sometimes one line longer than the buffer. */
    private static byte[] randomContent(Random random, int max) {
        int length = random.nextInt(max + 1);
        byte[] content = new byte[length];
        for (int i = 0; i < length; ) {
            int run = random.nextInt(10) == 0 ? 1 + random.nextInt(Math.max(1, Math.min(length - i, max / 2))) : 1;
            byte b = ALPHABET[random.nextInt(ALPHABET.length)];
            if (run > 1 && (b == '\r' || b == '\n' || b == '.')) {
                b = 'a';
            }
            Arrays.fill(content, i, Math.min(length, i + run), b);
            i += run;
        }
        return content;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String printable(String text) {
        String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return shown.replace("\r", "<CR>").replace("\n", "<LF>");
    }
}
