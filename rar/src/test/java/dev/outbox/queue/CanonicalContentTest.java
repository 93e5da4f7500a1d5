package dev.outbox.queue;

import dev.outbox.api.MessageRejectedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that content is stored with CRLF only, terminated, NUL-free, within line and size limits, and starts with headers. */
class CanonicalContentTest {

    private static final long NO_LIMIT = Long.MAX_VALUE;

    @Test
    void turnsBareLineFeedsIntoCrlf() throws Exception {
        assertEquals("From: a@example.org\r\nSubject: s\r\n\r\none\r\ntwo\r\n",
                canonical("From: a@example.org\nSubject: s\n\none\ntwo\n"));
    }

    @Test
    void turnsBareCarriageReturnsIntoCrlf() throws Exception {
        assertEquals("From: a@example.org\r\nSubject: s\r\n\r\none\r\ntwo\r\n",
                canonical("From: a@example.org\rSubject: s\r\rone\rtwo\r"));
    }

    @Test
    void keepsCrlfAsItIs() throws Exception {
        String text = "From: a@example.org\r\nSubject: s\r\n\r\none\r\n\r\n\r\ntwo\r\n";

        assertEquals(text, canonical(text));
    }

    @Test
    void makesEachLineEndingOfAMixtureOneCrlf() throws Exception {
        // CR CR LF is two line endings (a bare CR, then CRLF), LF CR is two as well.
        assertEquals("From: a@example.org\r\n\r\na\r\n\r\nb\r\n\r\nc\r\n",
                canonical("From: a@example.org\r\n\na\r\r\nb\n\rc\r\n"));
    }

    @Test
    void terminatesTheLastLine() throws Exception {
        assertEquals("From: a@example.org\r\n\r\nno line ending\r\n", canonical("From: a@example.org\r\n\r\nno line ending"));
        assertEquals("From: a@example.org\r\n", canonical("From: a@example.org"));
    }

    @Test
    void refusesNulNamingTheLine() {
        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> canonical("From: a@example.org\r\n\r\nfine\r\nbad\0byte\r\n"));

        assertEquals("message content refused: a NUL byte on line 4", e.getMessage());
    }

    @Test
    void refusesNulInTheHeaders() {
        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> canonical("From: a@example.org\nSubject: \0\n\nbody\n"));

        assertEquals("message content refused: a NUL byte on line 2", e.getMessage());
    }

    @Test
    void accepts998OctetLines() throws Exception {
        String body = "x".repeat(998);
        String header = "Subject: " + "s".repeat(998 - "Subject: ".length());

        assertEquals("From: a@example.org\r\n" + header + "\r\n\r\n" + body + "\r\n",
                canonical("From: a@example.org\n" + header + "\n\n" + body));
    }

    @Test
    void refuses999OctetLinesNamingTheLine() {
        MessageRejectedException inBody = assertThrows(MessageRejectedException.class,
                () -> canonical("From: a@example.org\r\n\r\nshort\r\n" + "x".repeat(999) + "\r\n"));
        MessageRejectedException inHeader = assertThrows(MessageRejectedException.class,
                () -> canonical("Subject: " + "s".repeat(999 - "Subject: ".length()) + "\r\n\r\n"));

        assertEquals("message content refused: line 4 is longer than 998 octets (RFC 5322 section 2.1.1)", inBody.getMessage());
        assertEquals("message content refused: line 1 is longer than 998 octets (RFC 5322 section 2.1.1)", inHeader.getMessage());
    }

    @Test
    void countsLineLengthWithoutTheLineEnding() throws Exception {
        // 998 octets followed by a bare CR: the CR ends the line, it does not make it 999 long.
        assertTrue(canonical("From: a@example.org\n\n" + "x".repeat(998) + "\r").endsWith("x".repeat(998) + "\r\n"));
    }

    @ParameterizedTest
    @MethodSource("badStarts")
    void refusesContentThatDoesNotStartWithAHeaderField(String content, String defect) {
        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> canonical(content));

        assertEquals("message content refused: " + defect, e.getMessage());
    }

    static Stream<Arguments> badStarts() {
        return Stream.of(
                Arguments.of("\r\nFrom: a@example.org\r\n", "it starts with a blank line; the content must start with a header field"),
                Arguments.of("\nbody", "it starts with a blank line; the content must start with a header field"),
                Arguments.of(" From: a@example.org", "line 1 starts with white space; the content must start with a header field"),
                Arguments.of("\tFrom: a@example.org", "line 1 starts with white space; the content must start with a header field"),
                Arguments.of("Hello there", "line 1 is neither a header field nor the blank line that ends the headers"),
                Arguments.of("Hello\r\n\r\nthere", "line 1 is neither a header field nor the blank line that ends the headers"),
                Arguments.of("From : a@example.org", "line 1 is neither a header field nor the blank line that ends the headers"),
                Arguments.of(": no name", "line 1 is a header field without a name"),
                Arguments.of("", "it is empty"));
    }

    @Test
    void acceptsFoldedHeaderFields() throws Exception {
        String text = "Subject: a long\r\n subject folded\r\n\tover three lines\r\nFrom: a@example.org\r\n\r\nbody\r\n";
        CanonicalContent content = read(text, NO_LIMIT);

        assertEquals(text, string(content));
        assertTrue(content.hasHeader("Subject"));
        assertTrue(content.hasHeader("From"));
        assertFalse(content.hasHeader("subject folded"));
    }

    @Test
    void refusesANonHeaderLineInsideTheHeaderSection() {
        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> canonical("From: a@example.org\r\nTo: b@example.org\r\nthis is not a header\r\n\r\nbody\r\n"));

        assertEquals("message content refused: line 3 is neither a header field nor the blank line that ends the headers",
                e.getMessage());
    }

    @Test
    void refusesANamelessFieldInsideTheHeaderSection() {
        MessageRejectedException e = assertThrows(MessageRejectedException.class,
                () -> canonical("From: a@example.org\r\n: nameless\r\n\r\n"));

        assertEquals("message content refused: line 2 is a header field without a name", e.getMessage());
    }

    @Test
    void leavesTheBodyUnparsed() throws Exception {
        String text = "From: a@example.org\r\n\r\n not a header\r\n: neither\r\nSubject: not a field either\r\n";
        CanonicalContent content = read(text, NO_LIMIT);

        assertEquals(text, string(content));
        assertFalse(content.hasHeader("Subject"));
    }

    @Test
    void acceptsContentOfExactlyTheSizeLimit() throws Exception {
        String text = contentOfSize(2048);

        assertEquals(text, string(read(text, 2048)));
    }

    @Test
    void refusesContentOneOctetOverTheSizeLimit() {
        String text = contentOfSize(2049);

        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> read(text, 2048));

        assertEquals("message content refused: it is larger than the limit of 2048 bytes", e.getMessage());
    }

    @Test
    void measuresTheSizeAfterLineEndingsAreMadeCanonical() {
        // Under the limit as sent, over it once each bare LF becomes CRLF.
        String text = contentOfSize(2049).replace("\r\n", "\n");
        assertTrue(text.length() < 2048, "test content is " + text.length() + " octets as sent");

        assertThrows(MessageRejectedException.class, () -> read(text, 2048));
    }

    @Test
    void stopsReadingOnceTheSizeLimitIsPassed() {
        EndlessContent in = new EndlessContent();

        MessageRejectedException e = assertThrows(MessageRejectedException.class, () -> CanonicalContent.read(in, 4096));

        assertEquals("message content refused: it is larger than the limit of 4096 bytes", e.getMessage());
        // One read buffer past the limit at most, not the whole stream.
        assertTrue(in.served <= 4096 + 8192, "read " + in.served + " bytes");
    }

    @Test
    void findsHeaderFieldsWhateverTheirCase() throws Exception {
        CanonicalContent content = read("message-id: <1@example.org>\r\nFROM: a@example.org\r\n\r\nDate: in the body\r\n", NO_LIMIT);

        assertTrue(content.hasHeader("Message-ID"));
        assertTrue(content.hasHeader("MESSAGE-ID"));
        assertTrue(content.hasHeader("from"));
        assertFalse(content.hasHeader("Date"));
        assertFalse(content.hasHeader("Message"));
    }

    @Test
    void putsLeadingFieldsBeforeTheHeadersAndLeavesTheOriginalAlone() throws Exception {
        CanonicalContent original = read("From: a@example.org\r\n\r\nbody\r\n", NO_LIMIT);
        byte[] before = original.bytes().clone();

        CanonicalContent completed = original.withLeadingFields("Date: Mon, 2 Jun 2025 10:00:00 +0000", "Message-ID: <1@example.org>");

        assertEquals("Date: Mon, 2 Jun 2025 10:00:00 +0000\r\nMessage-ID: <1@example.org>\r\nFrom: a@example.org\r\n\r\nbody\r\n",
                string(completed));
        assertTrue(completed.hasHeader("date"));
        assertTrue(completed.hasHeader("message-id"));
        assertTrue(completed.hasHeader("from"));
        assertArrayEquals(before, original.bytes());
        assertFalse(original.hasHeader("Date"));
        assertFalse(original.hasHeader("Message-ID"));
    }

    /** A From field, a blank line and body lines of at most 50 octets: {@code size} octets in all. */
    private static String contentOfSize(int size) {
        StringBuilder text = new StringBuilder("From: a@example.org\r\n\r\n");
        while (size - text.length() > 100) {
            text.append("b".repeat(50)).append("\r\n");
        }
        text.append("b".repeat(size - text.length() - 2)).append("\r\n");
        return text.toString();
    }

    private static String canonical(String text) throws Exception {
        return string(read(text, NO_LIMIT));
    }

    private static CanonicalContent read(String text, long maxBytes) throws MessageRejectedException, IOException {
        return CanonicalContent.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1)), maxBytes);
    }

    private static String string(CanonicalContent content) {
        return new String(content.bytes(), StandardCharsets.ISO_8859_1);
    }

    /** A header, then body lines without end, counting what it serves. */
    private static final class EndlessContent extends InputStream {
        private final byte[] head = "From: a@example.org\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        private long served;

        @Override
        public int read() {
            long position = served++;
            if (position < head.length) {
                return head[(int) position];
            }
            return position % 80 == 0 ? '\n' : 'x';
        }
    }
}
