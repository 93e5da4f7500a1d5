package dev.outbox.bench;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pauses another JVM's garbage collector has made since it started, from its performance
 * counters ({@code jcmd PID PerfCounter.print}): how many, and how long in all. Beside a time
 * measured on that JVM, it tells how much of it went to collecting, which a heap that is nearly
 * full makes long.
 *
 * <p>{@link #of} reads the counters once (no pause of the target). Every collector the JVM
 * reports ({@code sun.gc.collector.N}: G1's young, full and concurrent-cycle pauses) is added up.
 * Failures: counters that cannot be read (a JVM started with {@code -XX:-UsePerfData}) throw
 * {@link IllegalStateException} with {@code jcmd}'s output.
 *
 * @param count the pauses
 * @param nanos their time in all
 * @param full  of them, full collections
 */
record GcPauses(long count, long nanos, long full) {

    private static final Pattern COUNTER = Pattern.compile("^sun\\.gc\\.collector\\.(\\d+)\\.(name|time|invocations)=(.*)$", Pattern.MULTILINE);
    private static final Pattern FREQUENCY = Pattern.compile("^sun\\.os\\.hrt\\.frequency=(\\d+)$", Pattern.MULTILINE);

    static GcPauses of(long pid) throws IOException, InterruptedException {
        String counters = LiveHeap.jcmd(pid, "PerfCounter.print");
        Matcher frequency = FREQUENCY.matcher(counters);
        if (!frequency.find()) {
            throw new IllegalStateException("jcmd " + pid + " PerfCounter.print has no sun.os.hrt.frequency: " + counters);
        }
        double nanosPerTick = 1e9 / Long.parseLong(frequency.group(1));
        Map<String, String> names = new HashMap<>();
        long count = 0;
        long ticks = 0;
        Map<String, Long> invocations = new HashMap<>();
        Matcher counter = COUNTER.matcher(counters);
        while (counter.find()) {
            String collector = counter.group(1);
            String value = counter.group(3);
            switch (counter.group(2)) {
                case "name" -> names.put(collector, value);
                case "time" -> ticks += Long.parseLong(value);
                default -> {
                    count += Long.parseLong(value);
                    invocations.put(collector, Long.parseLong(value));
                }
            }
        }
        long full = 0;
        for (Map.Entry<String, String> name : names.entrySet()) {
            if (name.getValue().contains("full")) {
                full += invocations.getOrDefault(name.getKey(), 0L);
            }
        }
        return new GcPauses(count, Math.round(ticks * nanosPerTick), full);
    }
}
