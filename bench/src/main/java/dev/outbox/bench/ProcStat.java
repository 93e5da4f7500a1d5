package dev.outbox.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One process's line of {@code /proc/PID/stat}, as far as the harness needs it: who it is, its
 * parent and process group, and its CPU time (user and kernel), its own and that of the children
 * it has waited for. How the lanes tell the CPU of processes that are not this JVM: the SMTP
 * sink, a Postfix instance, {@code smtp-source}.
 *
 * <p>{@link #of} reads one process, {@link #self} this JVM, {@link #group} every process of a
 * process group (a Postfix master and its daemons share the master's), {@link #runsAsRoot} whether
 * this JVM is root. {@link #parse} reads the
 * line itself. A process that has exited and been waited for is gone from {@code /proc}: its
 * time then shows only in its parent's {@link #reapedNanos()}, which is why a group's CPU over a
 * span is the change of the sum of {@link #totalNanos()} over the group (the master reaps its
 * daemons).
 *
 * <p>Immutable. Where {@code /proc} cannot be read (not Linux), {@link #of} and {@link #self}
 * return null and {@link #group} an empty list; a line that does not parse throws
 * {@link IllegalArgumentException} quoting it.
 *
 * @param pid         the process
 * @param command     its command name (at most 15 characters, as the kernel keeps it)
 * @param parent      its parent's pid
 * @param group       its process group
 * @param ownTicks    user and kernel time of its own threads, in clock ticks
 * @param reapedTicks user and kernel time of its children that it waited for, in clock ticks
 */
record ProcStat(long pid, String command, long parent, long group, long ownTicks, long reapedTicks) {

    /** The kernel's clock ticks per second for process CPU times ({@code getconf CLK_TCK}), 100 where it cannot be asked. */
    static final long TICKS_PER_SECOND = clockTicks();

    /** The process, or null when it is gone or {@code /proc} cannot be read. */
    static ProcStat of(long pid) {
        try {
            return parse(Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** This JVM, or null where {@code /proc} cannot be read. */
    static ProcStat self() {
        return of(ProcessHandle.current().pid());
    }

    /** True when this JVM runs as root (uid 0). */
    static boolean runsAsRoot() {
        try {
            return ((Number) Files.getAttribute(Path.of("/proc/self"), "unix:uid")).intValue() == 0;
        } catch (IOException | RuntimeException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /** Every process whose process group is {@code group}, as they are now; empty where {@code /proc} cannot be read. */
    static List<ProcStat> group(long group) {
        List<ProcStat> members = new ArrayList<>();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), path -> path.getFileName().toString().matches("\\d+"))) {
            for (Path process : processes) {
                ProcStat stat = of(Long.parseLong(process.getFileName().toString()));
                if (stat != null && stat.group() == group) {
                    members.add(stat);
                }
            }
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
        return members;
    }

    /**
     * One line of {@code /proc/PID/stat}: "pid (comm) state ppid pgrp ...", where comm may hold
     * spaces and parentheses, so the fields are counted from the last ')'.
     */
    static ProcStat parse(String line) {
        int open = line.indexOf('(');
        int close = line.lastIndexOf(')');
        if (open < 0 || close < open || close + 2 > line.length()) {
            throw new IllegalArgumentException("not a /proc/PID/stat line: \"" + line.strip() + "\"");
        }
        // After "comm) ": field 3 state, 4 ppid, 5 pgrp, ..., 14 utime, 15 stime, 16 cutime, 17 cstime.
        String[] fields = line.substring(close + 2).strip().split(" ");
        if (fields.length < 15) {
            throw new IllegalArgumentException("a /proc/PID/stat line with too few fields: \"" + line.strip() + "\"");
        }
        return new ProcStat(Long.parseLong(line.substring(0, open).strip()), line.substring(open + 1, close),
                Long.parseLong(fields[1]), Long.parseLong(fields[2]),
                Long.parseLong(fields[11]) + Long.parseLong(fields[12]), Long.parseLong(fields[13]) + Long.parseLong(fields[14]));
    }

    /** CPU time of its own threads. */
    long ownNanos() {
        return nanos(ownTicks);
    }

    /** CPU time of the children it has waited for. */
    long reapedNanos() {
        return nanos(reapedTicks);
    }

    /** Its own CPU time and that of the children it has waited for. */
    long totalNanos() {
        return nanos(ownTicks + reapedTicks);
    }

    static long nanos(long ticks) {
        return ticks * TimeUnit.SECONDS.toNanos(1) / TICKS_PER_SECOND;
    }

    private static long clockTicks() {
        try {
            Process getconf = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
            String out = new String(getconf.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            return getconf.waitFor() == 0 ? Long.parseLong(out) : 100;
        } catch (IOException | RuntimeException e) {
            return 100;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 100;
        }
    }
}
