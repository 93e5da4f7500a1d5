package dev.outbox.testing.smtp;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * A message the server stored: its envelope as the client gave it and its content as the
 * client sent it, un-dot-stuffed.
 *
 * @param connection   the number of the connection it came on
 * @param mailFrom     the MAIL argument after "FROM:", parameters included ("&lt;a@b&gt; BODY=8BITMIME")
 * @param recipients   the accepted RCPTs' addresses, without angle brackets or parameters, in order
 * @param data         the bytes between the 354 and the final dot, line endings as sent (so the last
 *                     line's CRLF is included), one leading dot removed from each stuffed line
 * @param acknowledged true when the server answered 250 to the dot; false for
 *                     {@link Reaction#acceptThenClose()}, where the client never heard it
 */
public record Received(int connection, String mailFrom, List<String> recipients, byte[] data, boolean acknowledged) {

    public Received {
        Objects.requireNonNull(mailFrom, "mailFrom");
        recipients = List.copyOf(recipients);
        data = data.clone();
    }

    /** A copy of the content bytes. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** The content as text, one char per byte (ISO-8859-1), so 8-bit bytes survive. */
    public String text() {
        return new String(data, StandardCharsets.ISO_8859_1);
    }

    /**
     * The first header field called {@code name} (any case), unfolded, without the leading
     * white space of its value; empty when the header section has none.
     */
    public Optional<String> header(String name) {
        String prefix = name.toLowerCase(Locale.ROOT) + ":";
        String[] lines = text().split("\r?\n", -1);
        for (int i = 0; i < lines.length && !lines[i].isEmpty(); i++) {
            if (!lines[i].toLowerCase(Locale.ROOT).startsWith(prefix)) {
                continue;
            }
            StringBuilder value = new StringBuilder(lines[i].substring(prefix.length()));
            for (int j = i + 1; j < lines.length && !lines[j].isEmpty() && (lines[j].charAt(0) == ' ' || lines[j].charAt(0) == '\t'); j++) {
                value.append(lines[j]);
            }
            return Optional.of(value.toString().strip());
        }
        return Optional.empty();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Received that && connection == that.connection && acknowledged == that.acknowledged
                && mailFrom.equals(that.mailFrom) && recipients.equals(that.recipients) && Arrays.equals(data, that.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(connection, mailFrom, recipients, Arrays.hashCode(data), acknowledged);
    }

    @Override
    public String toString() {
        return "Received[connection " + connection + ", from " + mailFrom + ", to " + recipients + ", " + data.length + " bytes"
                + (acknowledged ? "" : ", not acknowledged") + header("Subject").map(s -> ", Subject: " + s).orElse("") + "]";
    }
}
