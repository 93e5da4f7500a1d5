package dev.outbox.cli;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A text table for a terminal: a header row and rows of cells, each column as wide as its widest
 * cell, two spaces between columns, chosen columns aligned right (numbers), no trailing spaces.
 * Every cell is made {@link #printable} and one line, so text from the server (a subject in a
 * header, a peer's reply) can neither break the layout nor send escape sequences to the terminal.
 *
 * <p>Operations: {@link #Table(String...)} (or {@link #unheaded}), {@link #alignRight} for numeric columns, {@link #row}
 * per row (as many cells as headers), then {@link #render}. Not thread-safe.
 *
 * <p>Misuse: a row with the wrong number of cells, or a column out of range, throws
 * IllegalArgumentException.
 */
final class Table {

    private final List<String> headers;
    private final boolean headed;
    private final boolean[] right;
    private final List<List<String>> rows = new ArrayList<>();

    Table(String... headers) {
        this(List.of(headers), true);
    }

    private Table(List<String> headers, boolean headed) {
        this.headers = headers;
        this.headed = headed;
        this.right = new boolean[headers.size()];
    }

    /** A table of {@code columns} columns with no header row, such as name-value lines. */
    static Table unheaded(int columns) {
        return new Table(Collections.nCopies(columns, ""), false);
    }

    Table alignRight(int... columns) {
        for (int column : columns) {
            if (column < 0 || column >= right.length) {
                throw new IllegalArgumentException("column " + column + " of a table of " + right.length);
            }
            right[column] = true;
        }
        return this;
    }

    Table row(Object... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException(cells.length + " cells for " + headers.size() + " columns: " + Arrays.toString(cells));
        }
        List<String> row = new ArrayList<>();
        for (Object cell : cells) {
            row.add(printable(String.valueOf(cell)));
        }
        rows.add(row);
        return this;
    }

    String render() {
        int[] widths = new int[headers.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = headers.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        StringBuilder text = new StringBuilder();
        if (headed) {
            line(text, headers, widths);
        }
        for (List<String> row : rows) {
            line(text, row, widths);
        }
        return text.toString();
    }

    private void line(StringBuilder text, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.size(); c++) {
            if (c > 0) {
                line.append("  ");
            }
            String cell = cells.get(c);
            String padding = " ".repeat(widths[c] - cell.length());
            line.append(right[c] ? padding + cell : cell + padding);
        }
        text.append(line.toString().stripTrailing()).append('\n');
    }

    /**
     * {@code text} safe for a terminal on one line: line breaks and tabs become spaces; other
     * control characters and the bidirectional overrides become '?'.
     */
    static String printable(String text) {
        StringBuilder safe = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                continue; // CRLF: one space, from the LF
            }
            if (c == '\n' || c == '\r' || c == '\t' || c == '\u2028' || c == '\u2029') {
                safe.append(' ');
            } else if (Character.isISOControl(c) || c >= '\u202a' && c <= '\u202e' || c >= '\u2066' && c <= '\u2069') {
                safe.append('?');
            } else {
                safe.append(c);
            }
        }
        return safe.toString();
    }
}
