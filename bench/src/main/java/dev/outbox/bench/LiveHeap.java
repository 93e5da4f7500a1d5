package dev.outbox.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The live set of another JVM, read with the JDK's {@code jcmd}: the heap in use right after a
 * full collection ({@code GC.run}, then {@code GC.heap_info}), and the class histogram
 * ({@code GC.class_histogram}, which collects fully first): for each class, its live instances
 * and their shallow bytes. Two readings, one of a server with a large queue and one of the same
 * server with an empty one, subtracted class by class, show what the queue retains and in which
 * objects.
 *
 * <p>{@link #of} takes a reading (a few full collections of the target: it pauses it). Classes
 * are keyed by name without their module; same-named classes of different class loaders are
 * added together. Failures: a {@code jcmd} that fails or answers what cannot be read throws
 * {@link IllegalStateException} with its output.
 *
 * @param usedBytes heap in use after a full collection, as {@code GC.heap_info} says (whole KiB)
 * @param maxBytes  the most heap the JVM may have ({@code -XX:MaxHeapSize}, as {@code VM.flags} says)
 * @param classes   the histogram, by class name
 */
record LiveHeap(long usedBytes, long maxBytes, Map<String, Count> classes) {

    /** Live instances of one class and their shallow size. */
    record Count(long instances, long bytes) {
    }

    /** One class's growth from one reading to another. */
    record Growth(String className, long instances, long bytes) {
    }

    private static final Pattern HEAP_USED = Pattern.compile("heap\\s+total\\s+\\d+K,\\s+used\\s+(\\d+)K");
    private static final Pattern MAX_HEAP = Pattern.compile("-XX:MaxHeapSize=(\\d+)");
    private static final Pattern HISTOGRAM_ROW = Pattern.compile("^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)");

    static LiveHeap of(long pid) throws IOException, InterruptedException {
        jcmd(pid, "GC.run");
        String info = jcmd(pid, "GC.heap_info");
        Matcher used = HEAP_USED.matcher(info);
        if (!used.find()) {
            throw new IllegalStateException("jcmd " + pid + " GC.heap_info says no heap total and used: " + info);
        }
        Matcher max = MAX_HEAP.matcher(jcmd(pid, "VM.flags"));
        if (!max.find()) {
            throw new IllegalStateException("jcmd " + pid + " VM.flags names no MaxHeapSize");
        }
        Map<String, Count> classes = new HashMap<>();
        for (String line : jcmd(pid, "GC.class_histogram").split("\n")) {
            Matcher row = HISTOGRAM_ROW.matcher(line);
            if (row.find()) {
                classes.merge(row.group(3), new Count(Long.parseLong(row.group(1)), Long.parseLong(row.group(2))),
                        (a, b) -> new Count(a.instances() + b.instances(), a.bytes() + b.bytes()));
            }
        }
        if (classes.isEmpty()) {
            throw new IllegalStateException("jcmd " + pid + " GC.class_histogram gave no classes");
        }
        return new LiveHeap(Long.parseLong(used.group(1)) * 1024, Long.parseLong(max.group(1)), Map.copyOf(classes));
    }

    /** The bytes of every live object, as the histogram adds them up. */
    long liveBytes() {
        return classes.values().stream().mapToLong(Count::bytes).sum();
    }

    /** Every class's growth since {@code before}, the largest first (classes that shrank last, with negative figures). */
    List<Growth> since(LiveHeap before) {
        Set<String> names = new HashSet<>(classes.keySet());
        names.addAll(before.classes.keySet());
        Count none = new Count(0, 0);
        List<Growth> growth = new ArrayList<>();
        for (String name : names) {
            Count now = classes.getOrDefault(name, none);
            Count then = before.classes.getOrDefault(name, none);
            growth.add(new Growth(name, now.instances() - then.instances(), now.bytes() - then.bytes()));
        }
        growth.sort(Comparator.comparingLong(Growth::bytes).reversed().thenComparing(Growth::className));
        return growth;
    }

    /** Runs {@code jcmd PID COMMAND} with the JDK this harness runs on; returns what it printed. */
    static String jcmd(long pid, String command) throws IOException, InterruptedException {
        Path tool = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(tool.toString(), Long.toString(pid), command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(5, TimeUnit.MINUTES) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("jcmd " + pid + " " + command + " failed: " + output);
        }
        return output;
    }
}
