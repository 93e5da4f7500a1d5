package dev.outbox.queue;

/**
 * Text that came from a remote server (a reply, an error that quotes one) made safe to keep,
 * log and show: one line, no control characters, bounded length. A multi-line reply keeps its
 * lines, joined by a space; a raw CR or LF never reaches a log line, an MBean or a bounce.
 *
 * <p>Stateless; {@link #oneLine} may be called from any thread.
 */
public final class ReplyText {

    /** Long enough for any real reply (RFC 5321 allows 512 octets a line); longer text is cut. */
    static final int MAX_LENGTH = 1000;

    private ReplyText() {
    }

    /** {@code text} as one printable line: line breaks become spaces, other control characters '?', cut at {@link #MAX_LENGTH}. */
    public static String oneLine(String text) {
        if (text == null) {
            return "";
        }
        String stripped = text.strip();
        StringBuilder line = new StringBuilder(Math.min(stripped.length(), MAX_LENGTH + 3));
        boolean lastWasBreak = false;
        for (int i = 0; i < stripped.length() && line.length() < MAX_LENGTH; i++) {
            char c = stripped.charAt(i);
            if (c == '\r' || c == '\n') {
                if (!lastWasBreak) {
                    line.append(' ');
                }
                lastWasBreak = true;
                continue;
            }
            lastWasBreak = false;
            line.append(Character.isISOControl(c) ? '?' : c);
        }
        if (line.length() >= MAX_LENGTH && stripped.length() > MAX_LENGTH) {
            line.append("...");
        }
        return line.toString();
    }
}
