package dev.outbox.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Postfix's {@code smtp-source}, the test client from the same package as {@code smtp-sink}:
 * sends a number of copies of one message file over parallel SMTP sessions, each session
 * carrying message after message ({@code -d}), one command at a time (it does not pipeline). The
 * lane uses it twice: to queue the backlog into Postfix, and as the ceiling, straight into the
 * sinks with no queue at all.
 *
 * <p>{@link #send} runs it to the end and returns how long it took and its CPU time, read as the
 * growth of this JVM's reaped-children time ({@link ProcStat#reapedNanos()}) across the run,
 * since the JVM waits for it: right only when no other child of the JVM ends meanwhile (the
 * ceiling runs alone; the runs that queue a backlog into Postfix run side by side, and their CPU
 * is not used). {@link #writeContent}
 * writes a message as the file it sends ({@code -F}: LF line ends, to which it adds CR, and it
 * adds no header of its own).
 *
 * <p>Misuse and failures: a program that is not there, a non-zero exit or a run past its
 * deadline throws {@link IllegalStateException} with what it printed.
 *
 * @param program the smtp-source program
 * @param log     where its output goes
 */
record SmtpSource(Path program, Path log) {

    /** The longest a run may take: the slowest contender, Postfix accepting mail, takes about 1 ms a message here. */
    private static final long MIN_DEADLINE_SECONDS = 120;

    /**
     * One run.
     *
     * @param messages messages sent
     * @param nanos    from start to exit
     * @param cpuNanos its CPU time (user and kernel), -1 where /proc cannot tell
     */
    record Run(long messages, long nanos, long cpuNanos) {
    }

    /**
     * Sends {@code messages} copies of {@code content} to {@code host:port} over {@code sessions}
     * sessions, from {@link SampleMail#SENDER} to {@code recipients} recipients named after
     * {@code to} ({@code to} itself for one; {@code 1to}, {@code 2to}, ... for more).
     */
    Run send(String host, int port, int sessions, int messages, int recipients, Path content, String to)
            throws IOException, InterruptedException {
        if (!Files.isExecutable(program)) {
            throw new IllegalStateException("the delivery lane needs Postfix's smtp-source, and " + program + " is not there: "
                    + "install Debian's postfix package (bench/run does when it may)");
        }
        List<String> command = new ArrayList<>(List.of(program.toString(), "-4", "-d",
                "-s", Integer.toString(sessions), "-m", Integer.toString(messages), "-F", content.toString(),
                "-f", SampleMail.SENDER, "-t", to, "-M", "source.bench.localhost"));
        if (recipients > 1) {
            command.addAll(List.of("-r", Integer.toString(recipients)));
        }
        command.add(host + ":" + port);
        ProcStat before = ProcStat.self();
        long start = System.nanoTime();
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        long deadline = Math.max(MIN_DEADLINE_SECONDS, messages / 500L);
        if (!process.waitFor(deadline, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException(String.format(Locale.ROOT, "smtp-source to %s:%d did not finish %,d messages in %d s: %s",
                    host, port, messages, deadline, printed()));
        }
        long nanos = System.nanoTime() - start;
        ProcStat after = ProcStat.self();
        if (process.exitValue() != 0) {
            throw new IllegalStateException(String.format(Locale.ROOT, "smtp-source to %s:%d (%s) exited with %d: %s",
                    host, port, String.join(" ", command), process.exitValue(), printed()));
        }
        long cpu = before == null || after == null ? -1 : after.reapedNanos() - before.reapedNanos();
        return new Run(messages, nanos, cpu);
    }

    /** {@code mail}'s content as smtp-source's {@code -F} file. */
    static void writeContent(SampleMail mail, Path file) throws IOException {
        String text = new String(mail.content(), StandardCharsets.US_ASCII);
        Files.writeString(file, text.replace("\r\n", "\n"), StandardCharsets.US_ASCII);
    }

    private String printed() throws IOException {
        String text = Files.readString(log, StandardCharsets.UTF_8).strip();
        return text.isEmpty() ? "(nothing)" : text.length() > 2000 ? text.substring(text.length() - 2000) : text;
    }
}
