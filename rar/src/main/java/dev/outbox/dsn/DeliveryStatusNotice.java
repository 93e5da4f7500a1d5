package dev.outbox.dsn;

import dev.outbox.queue.ReplyText;
import jakarta.mail.MessagingException;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeUtility;
import org.eclipse.angus.mail.dsn.DeliveryStatus;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Composes RFC 3464 delivery status notifications: the bounce or delay notice Outbox sends,
 * with a null reverse path, to the envelope sender of a message it could not (yet) deliver.
 *
 * <p>It owns the reporting MTA's name (Outbox's EHLO name), the From address of its notices
 * ({@code MAILER-DAEMON@} that name unless configured) and the largest original it returns
 * whole. {@link #compose} turns an {@link Original} and the {@link RecipientStatus} of each
 * recipient to report into the notice's bytes, ready to send: a {@code multipart/report;
 * report-type=delivery-status} of a text/plain explanation, the {@code message/delivery-status}
 * fields (written by Angus's {@link DeliveryStatus}) and the original's header
 * ({@code text/rfc822-headers}) or, when asked and no larger than the limit, the whole original
 * ({@code message/rfc822}); an original with 8-bit bytes is returned as its header,
 * quoted-printable, so that a notice is always 7-bit and reaches a server without 8BITMIME.
 * Lines end in CRLF. The caller sends the bytes with an empty MAIL
 * FROM and must never ask for a notice about a notice: an original with a null reverse path is
 * refused.
 *
 * <p>Untrusted text (remote replies, addresses, the original's message id) is written as one
 * line: CR, LF, NUL and other control characters never reach a header or a field line, and
 * field values are kept to printable ASCII ('?' for anything else) and folded at white space.
 *
 * <p>The parts are written as bytes, never through Jakarta Activation: composing needs no
 * mailcap and no DataContentHandler (the dsn jar's {@code META-INF/mailcap} is needed only to
 * parse a report back through {@code getContent()}). Jakarta Mail's stream encoders are found
 * through the context class loader, so {@code compose} sets it to Outbox's own while it writes
 * and puts the caller's back: it works on any thread whatever its context class loader sees.
 *
 * <p>Immutable and thread-safe. The constructor throws IllegalArgumentException for a reporting
 * MTA that is not a host name or address literal, or a From that is not an address;
 * {@code compose} throws IllegalArgumentException for an original without a sender or a report
 * without recipients.
 */
public final class DeliveryStatusNotice {

    /** The largest original returned whole by default (RFC 3462 suggests returning headers only for large ones). */
    public static final int DEFAULT_RETURN_LIMIT = 64 * 1024;

    static final String SUBJECT_FAILED = "Undelivered Mail Returned to Sender";
    static final String SUBJECT_DELAYED = "Delayed Mail (still being retried)";

    /** A field or header value is cut at this many characters, so its line stays under RFC 5322's 998. */
    private static final int MAX_VALUE_LENGTH = 900;
    private static final Pattern HOST = Pattern.compile(
            "[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\\[(?:IPv6:)?[0-9A-Fa-f:.]{2,45}\\]");
    private static final DateTimeFormatter RFC_5322_DATE =
            DateTimeFormatter.ofPattern("EEE, d MMM yyyy HH:mm:ss Z", Locale.US).withZone(ZoneOffset.UTC);
    private static final byte[] CRLF = {'\r', '\n'};

    /** What of the original a notice carries. */
    public enum Return {
        /** The original's header only (text/rfc822-headers). */
        HEADERS,
        /** The whole original (message/rfc822) when it is no larger than the limit, else its header. */
        FULL
    }

    /**
     * The message a notice is about.
     *
     * @param envelopeSender its MAIL FROM, to which the notice goes; never empty
     * @param messageId      its Message-ID, or null if it had none
     * @param content        its header (at least) or its whole content, as queued
     * @param arrival        when Outbox accepted it
     */
    public record Original(String envelopeSender, String messageId, byte[] content, Instant arrival) {
        public Original {
            Objects.requireNonNull(content, "content");
            Objects.requireNonNull(arrival, "arrival");
            if (envelopeSender == null || envelopeSender.isBlank() || envelopeSender.strip().equals("<>")) {
                throw new IllegalArgumentException("message " + messageId + " has a null reverse path: "
                        + "no notice is sent about a notice or to nobody");
            }
        }
    }

    private final String reportingMta;
    private final String from;
    private final int returnLimit;

    /**
     * @param reportingMta Outbox's EHLO name (a host name or an address literal)
     * @param from         the notices' From address, or null for {@code MAILER-DAEMON@reportingMta}
     * @param returnLimit  the largest original, in bytes, returned whole under {@link Return#FULL}
     */
    public DeliveryStatusNotice(String reportingMta, String from, int returnLimit) {
        if (reportingMta == null || !HOST.matcher(reportingMta).matches()) {
            throw new IllegalArgumentException("the reporting MTA must be a host name or address literal, not \""
                    + ReplyText.oneLine(reportingMta) + "\"");
        }
        if (returnLimit < 0) {
            throw new IllegalArgumentException("the return limit is a size in bytes, not " + returnLimit);
        }
        this.reportingMta = reportingMta;
        this.from = from == null ? "MAILER-DAEMON@" + reportingMta : checkedAddress(from);
        this.returnLimit = returnLimit;
    }

    /** Notices from {@code MAILER-DAEMON@reportingMta}, returning originals up to {@link #DEFAULT_RETURN_LIMIT}. */
    public DeliveryStatusNotice(String reportingMta) {
        this(reportingMta, null, DEFAULT_RETURN_LIMIT);
    }

    /** The From address of the notices. */
    public String from() {
        return from;
    }

    /**
     * The notice about {@code original} for {@code recipients}, dated {@code now}, as the bytes to
     * send (CRLF line ends). Its subject says a failure when any recipient failed, else a delay.
     */
    public byte[] compose(Original original, List<RecipientStatus> recipients, Return returned, Instant now) {
        Objects.requireNonNull(original, "original");
        Objects.requireNonNull(returned, "returned");
        Objects.requireNonNull(now, "now");
        if (recipients == null || recipients.isEmpty()) {
            throw new IllegalArgumentException("a notice about message " + original.messageId() + " needs a recipient");
        }
        // Jakarta Mail finds its stream encoders (StreamProvider, used by DeliveryStatus and
        // MimeUtility) through the context class loader first; a delivery thread's may see no
        // Angus at all, so Outbox's own, which does, stands in while the notice is written.
        Thread thread = Thread.currentThread();
        ClassLoader callers = thread.getContextClassLoader();
        thread.setContextClassLoader(DeliveryStatusNotice.class.getClassLoader());
        try {
            return write(original, recipients, returned, now);
        } finally {
            thread.setContextClassLoader(callers);
        }
    }

    private byte[] write(Original original, List<RecipientStatus> recipients, Return returned, Instant now) {
        boolean failed = recipients.stream().anyMatch(r -> r.action() == RecipientStatus.Action.FAILED);
        String boundary = "=_Outbox_DSN_" + UUID.randomUUID().toString().replace("-", "");
        byte[] whole = crlf(original.content());
        // A notice is 7-bit, so it reaches a server without 8BITMIME (it is dropped if it fails): an 8-bit original is
        // returned as its header, quoted-printable (message/rfc822 may not be encoded, RFC 2046 section 5.2.1).
        boolean returnWhole = returned == Return.FULL && whole.length <= returnLimit && sevenBit(whole);

        ByteArrayOutputStream out = new ByteArrayOutputStream(4096 + (returnWhole ? whole.length : 1024));
        try {
            header(out, "From", "Mail Delivery System <" + from + ">");
            header(out, "To", "<" + fieldText(original.envelopeSender()) + ">");
            header(out, "Subject", failed ? SUBJECT_FAILED : SUBJECT_DELAYED);
            header(out, "Date", date(now));
            header(out, "Message-ID", "<" + UUID.randomUUID() + "@" + reportingMta + ">");
            header(out, "Auto-Submitted", "auto-replied");
            header(out, "MIME-Version", "1.0");
            header(out, "Content-Type", "multipart/report; report-type=delivery-status;\r\n\tboundary=\"" + boundary + "\"");
            out.write(CRLF);
            out.write(ascii("This is a MIME-encapsulated message.\r\n"));

            startPart(out, boundary);
            header(out, "Content-Type", "text/plain; charset=UTF-8");
            header(out, "Content-Transfer-Encoding", "quoted-printable");
            header(out, "Content-Description", "Notification");
            out.write(CRLF);
            out.write(quotedPrintable(explanation(original, recipients, failed)));

            startPart(out, boundary);
            header(out, "Content-Type", "message/delivery-status");
            header(out, "Content-Transfer-Encoding", "7bit");
            header(out, "Content-Description", "Delivery report");
            out.write(CRLF);
            deliveryStatus(original, recipients).writeTo(out);

            startPart(out, boundary);
            byte[] returnedBytes = returnWhole ? whole : headerSection(whole);
            boolean encoded = !sevenBit(returnedBytes);
            header(out, "Content-Type", returnWhole ? "message/rfc822" : "text/rfc822-headers");
            header(out, "Content-Transfer-Encoding", encoded ? "quoted-printable" : "7bit");
            header(out, "Content-Description", returnWhole ? "Undelivered message" : "Undelivered message header");
            out.write(CRLF);
            out.write(encoded ? quotedPrintable(returnedBytes) : returnedBytes);

            out.write(ascii("\r\n--" + boundary + "--\r\n"));
        } catch (IOException e) {
            throw new UncheckedIOException("failed to compose the notice about message " + original.messageId(), e);
        }
        return out.toByteArray();
    }

    /** The message/delivery-status body: per-message fields, then a group per recipient. */
    private DeliveryStatus deliveryStatus(Original original, List<RecipientStatus> recipients) {
        try {
            DeliveryStatus status = new DeliveryStatus();
            InternetHeaders message = fields();
            field(message, "Reporting-MTA", "dns; " + reportingMta);
            field(message, "Arrival-Date", date(original.arrival()));
            status.setMessageDSN(message);
            for (RecipientStatus r : recipients) {
                InternetHeaders fields = fields();
                field(fields, "Final-Recipient", "rfc822; " + fieldText(r.finalRecipient()));
                field(fields, "Action", r.action().field());
                field(fields, "Status", r.status().toString());
                if (r.remoteMta() != null && !r.remoteMta().isBlank()) {
                    field(fields, "Remote-MTA", "dns; " + fieldText(r.remoteMta()));
                }
                if (r.diagnostic() != null && !r.diagnostic().isBlank()) {
                    boolean remote = r.remoteMta() != null && !r.remoteMta().isBlank();
                    field(fields, "Diagnostic-Code", (remote ? "smtp; " : "X-Outbox; ") + fieldText(r.diagnostic()));
                }
                if (r.lastAttempt() != null) {
                    field(fields, "Last-Attempt-Date", date(r.lastAttempt()));
                }
                if (r.willRetryUntil() != null) {
                    field(fields, "Will-Retry-Until", date(r.willRetryUntil()));
                }
                status.addRecipientDSN(fields);
            }
            return status;
        } catch (MessagingException e) {
            throw new IllegalStateException("failed to build the delivery status of message " + original.messageId(), e);
        }
    }

    /** The human-readable part: which recipients, why, and what the remote host said. */
    private String explanation(Original original, List<RecipientStatus> recipients, boolean failed) {
        StringBuilder text = new StringBuilder();
        text.append("This is the mail system at host ").append(reportingMta).append(".\r\n\r\n");
        if (failed) {
            text.append("Your message could not be delivered to one or more recipients.\r\n")
                    .append("For the recipients marked failed below this is final: they will not be tried again.\r\n");
        } else {
            text.append("Your message has not yet been delivered to the recipients below.\r\n")
                    .append("It is still being retried; you do not need to send it again.\r\n");
        }
        text.append("\r\nMessage: ").append(original.messageId() == null ? "(no Message-ID)" : ReplyText.oneLine(original.messageId()))
                .append("\r\nReceived: ").append(date(original.arrival())).append("\r\n\r\n");
        for (RecipientStatus r : recipients) {
            text.append('<').append(ReplyText.oneLine(r.finalRecipient())).append(">: ").append(r.action().field())
                    .append(", status ").append(r.status());
            if (r.remoteMta() != null && !r.remoteMta().isBlank()) {
                text.append(", host ").append(ReplyText.oneLine(r.remoteMta())).append(" said:");
            } else {
                text.append(':');
            }
            text.append("\r\n    ").append(r.diagnostic() == null ? "(no reply)" : ReplyText.oneLine(r.diagnostic()));
            if (r.willRetryUntil() != null) {
                text.append("\r\n    Outbox will keep trying until ").append(date(r.willRetryUntil())).append('.');
            }
            text.append("\r\n\r\n");
        }
        return text.toString();
    }

    private static void startPart(OutputStream out, String boundary) throws IOException {
        out.write(ascii("\r\n--" + boundary + "\r\n"));
    }

    /** Writes {@code name: value} and CRLF; {@code value} is trusted to have no line break but its folds. */
    private static void header(OutputStream out, String name, String value) throws IOException {
        out.write(ascii(name + ": " + value + "\r\n"));
    }

    /**
     * An empty group of fields that keeps them in the order added ({@code new InternetHeaders()}
     * holds places for well-known headers, Status among them, and would move it to the end).
     */
    private static InternetHeaders fields() throws MessagingException {
        return new InternetHeaders(new ByteArrayInputStream(CRLF));
    }

    private static void field(InternetHeaders fields, String name, String value) {
        fields.addHeader(name, MimeUtility.fold(name.length() + 2, value));
    }

    /** Untrusted text as a field or header value: one line of printable ASCII, at most {@link #MAX_VALUE_LENGTH}. */
    static String fieldText(String text) {
        String line = ReplyText.oneLine(text);
        StringBuilder ascii = new StringBuilder(Math.min(line.length(), MAX_VALUE_LENGTH + 3));
        for (int i = 0; i < line.length() && ascii.length() < MAX_VALUE_LENGTH; i++) {
            char c = line.charAt(i);
            ascii.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        if (line.length() > MAX_VALUE_LENGTH) {
            ascii.append("...");
        }
        return ascii.toString();
    }

    private static String checkedAddress(String address) {
        try {
            InternetAddress parsed = new InternetAddress(address, true);
            if (parsed.getPersonal() != null || !parsed.getAddress().equals(address.strip())) {
                throw new AddressException("a bare address is wanted, without a name");
            }
            return fieldText(parsed.getAddress());
        } catch (AddressException e) {
            throw new IllegalArgumentException("the notices' From is not an address: \"" + ReplyText.oneLine(address)
                    + "\" (" + e.getMessage() + ")", e);
        }
    }

    private static String date(Instant instant) {
        return RFC_5322_DATE.format(instant);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] quotedPrintable(String text) throws IOException {
        return quotedPrintable(text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code bytes} quoted-printable: 7-bit lines of at most 76 characters, CRLF line ends kept as line ends. */
    private static byte[] quotedPrintable(byte[] bytes) throws IOException {
        ByteArrayOutputStream encoded = new ByteArrayOutputStream(bytes.length + bytes.length / 4 + 64);
        try (OutputStream qp = MimeUtility.encode(encoded, "quoted-printable")) {
            qp.write(bytes);
        } catch (MessagingException e) {
            throw new IOException("no quoted-printable encoder", e);
        }
        return encoded.toByteArray();
    }

    /** {@code content} with every line ending in CRLF (a lone CR or LF becomes CRLF), ending in one. */
    static byte[] crlf(byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + content.length / 40 + 2);
        for (int i = 0; i < content.length; i++) {
            byte b = content[i];
            if (b == '\r') {
                out.write(CRLF, 0, 2);
                if (i + 1 < content.length && content[i + 1] == '\n') {
                    i++;
                }
            } else if (b == '\n') {
                out.write(CRLF, 0, 2);
            } else {
                out.write(b);
            }
        }
        int n = out.size();
        byte[] bytes = out.toByteArray();
        if (n >= 2 && bytes[n - 2] == '\r' && bytes[n - 1] == '\n') {
            return bytes;
        }
        out.write(CRLF, 0, 2);
        return out.toByteArray();
    }

    /** The header section of CRLF {@code message}, through the CRLF that ends its last line; all of it if no blank line. */
    static byte[] headerSection(byte[] message) {
        if (message.length >= 2 && message[0] == '\r' && message[1] == '\n') {
            return new byte[0];
        }
        for (int i = 0; i + 3 < message.length; i++) {
            if (message[i] == '\r' && message[i + 1] == '\n' && message[i + 2] == '\r' && message[i + 3] == '\n') {
                return java.util.Arrays.copyOf(message, i + 2);
            }
        }
        return message;
    }

    private static boolean sevenBit(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0 || b == 0) {
                return false;
            }
        }
        return true;
    }
}
