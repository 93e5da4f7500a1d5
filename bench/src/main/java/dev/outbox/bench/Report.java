package dev.outbox.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The results of one run as a plain-text table: a few lines on where it ran, then one row per
 * figure with its value, unit, and what it compares with, grouped in sections.
 *
 * <p>{@link #context} adds a line above the table, {@link #section} a heading row,
 * {@link #row} a figure; {@link #render} lays the table out in aligned columns, and
 * {@link #write} saves that text to a file (its directory is created). The static helpers
 * format numbers the same way everywhere. Not thread-safe: the main thread fills it.
 */
final class Report {

    private static final String[] HEADINGS = {"figure", "value", "unit", "comparison"};

    /** One line of the table; a section heading has only {@code figure}. */
    private record Row(String figure, String value, String unit, String comparison) {
        boolean isSection() {
            return value == null;
        }

        String cell(int column) {
            return switch (column) {
                case 0 -> figure;
                case 1 -> value;
                case 2 -> unit;
                default -> comparison;
            };
        }
    }

    private final String title;
    private final List<String> context = new ArrayList<>();
    private final List<Row> rows = new ArrayList<>();

    Report(String title) {
        this.title = title;
    }

    void context(String label, String text) {
        context.add(String.format(Locale.ROOT, "%-9s %s", label + ":", text));
    }

    void section(String heading) {
        rows.add(new Row(heading, null, null, null));
    }

    void row(String figure, String value, String unit, String comparison) {
        rows.add(new Row(figure, value, unit, comparison));
    }

    String render() {
        int[] widths = new int[HEADINGS.length];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = HEADINGS[c].length();
            for (Row row : rows) {
                if (!row.isSection()) {
                    widths[c] = Math.max(widths[c], row.cell(c).length());
                }
            }
        }
        StringBuilder out = new StringBuilder();
        out.append(title).append('\n');
        context.forEach(line -> out.append(line).append('\n'));
        out.append('\n');
        line(out, widths, HEADINGS);
        StringBuilder rule = new StringBuilder();
        for (int c = 0; c < widths.length; c++) {
            rule.append(c == 0 ? "" : "-+-").append("-".repeat(widths[c]));
        }
        out.append(rule).append('\n');
        for (Row row : rows) {
            if (row.isSection()) {
                out.append(row.figure()).append('\n');
            } else {
                line(out, widths, new String[]{row.figure(), row.value(), row.unit(), row.comparison()});
            }
        }
        return out.toString();
    }

    void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(file, render(), StandardCharsets.UTF_8);
    }

    private static void line(StringBuilder out, int[] widths, String[] cells) {
        StringBuilder line = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            if (c > 0) {
                line.append(" | ");
            }
            // Values right-aligned so their digits line up; text left-aligned.
            String format = c == 1 ? "%" + widths[c] + "s" : "%-" + widths[c] + "s";
            line.append(String.format(Locale.ROOT, format, cells[c]));
        }
        out.append(line.toString().stripTrailing()).append('\n');
    }

    /** A whole number with thousands separators: 12,345. */
    static String whole(double value) {
        return String.format(Locale.ROOT, "%,.0f", value);
    }

    /** A number with {@code decimals} decimals: 3.14. */
    static String decimal(double value, int decimals) {
        return String.format(Locale.ROOT, "%,." + decimals + "f", value);
    }

    /** A ratio: 12.3x. */
    static String times(double ratio) {
        return String.format(Locale.ROOT, ratio >= 10 ? "%.1fx" : "%.2fx", ratio);
    }

    static double seconds(long nanos) {
        return nanos / 1e9;
    }

    static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}
