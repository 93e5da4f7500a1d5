package dev.outbox.bench;

import jdk.jfr.Configuration;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A JFR recording of Outbox's drains ({@code --profile}), and what it says: where the engine's
 * threads spent their time while they drained a backlog.
 *
 * <p>{@link #begin} starts a recording with the JDK's "profile" settings, stacks sampled every
 * {@code PERIOD} (2 ms) instead of 10, just before a drain's clock starts, {@link #end} stops it and
 * writes it to {@code DIRECTORY/delivery-VARIANT-NAME-N.jfr}. {@link #summarize} reads every
 * recording of one variant and writes {@code profile-VARIANT.txt} beside them: the
 * {@code jdk.ExecutionSample} events (threads running Java code) counted by their top frame (the
 * method that was running), and by the first frame in Outbox's own code ({@code dev.outbox.},
 * the harness excluded), largest first; then the {@code jdk.NativeMethodSample} events under
 * Outbox's code (threads in native code: waiting on a socket, or in a system call), by native
 * method and Outbox frame. The same samples can be read with
 * {@code jfr print --events jdk.ExecutionSample FILE}.
 *
 * <p>Execution samples see threads running Java code only; a thread in a system call (a socket
 * write, an fsync) or waiting on a socket shows in the native samples, which cannot tell waiting
 * from working, and a thread parked on a lock shows in neither. A recording costs a little:
 * quote rates from a run without {@code --profile}.
 *
 * <p>Not thread-safe: the lane's main thread uses it. Misuse: {@link #end} without
 * {@link #begin} throws {@link IllegalStateException}.
 */
final class Profile {

    private static final String SAMPLE = "jdk.ExecutionSample";
    private static final String NATIVE = "jdk.NativeMethodSample";
    /** Denser than the "profile" settings' 10 ms (a drain takes a few seconds). */
    private static final Duration PERIOD = Duration.ofMillis(2);
    private static final String OUTBOX = "dev.outbox.";
    /** The harness and its test servers: not Outbox's code. */
    private static final List<String> NOT_OUTBOX = List.of("dev.outbox.bench.", "dev.outbox.testing.");
    private static final int TOP = 25;
    private static final String NO_OUTBOX_FRAME = "(no Outbox frame)";

    private final Path directory;
    private final Map<String, List<Path>> recordings = new HashMap<>();
    private String variant = "";
    private Recording recording;
    private Path file;

    Profile(Path directory) {
        this.directory = directory;
    }

    /** The variant whose drains the next recordings are. */
    void variant(String key) {
        this.variant = key;
    }

    void begin(String name) {
        try {
            Files.createDirectories(directory);
            List<Path> files = recordings.computeIfAbsent(variant, key -> new ArrayList<>());
            file = directory.resolve(String.format(Locale.ROOT, "delivery-%s-%s-%d.jfr", variant, name.replaceAll("[^A-Za-z0-9]+", "-"),
                    files.size() + 1));
            recording = new Recording(Configuration.getConfiguration("profile"));
            recording.enable(SAMPLE).withPeriod(PERIOD);
            recording.enable(NATIVE).withPeriod(PERIOD);
            recording.setToDisk(true);
            recording.start();
        } catch (IOException | ParseException e) {
            throw new IllegalStateException("cannot start a JFR recording into " + directory + ": " + e, e);
        }
    }

    void end() {
        if (recording == null) {
            throw new IllegalStateException("no recording to end");
        }
        try {
            recording.stop();
            recording.dump(file);
            recordings.get(variant).add(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the JFR recording " + file + ": " + e, e);
        } finally {
            recording.close();
            recording = null;
        }
    }

    /**
     * Writes the summary of {@code key}'s recordings to {@code profile-KEY.txt} and returns its
     * path, or null when there were none.
     */
    Path summarize(String key, String title) throws IOException {
        List<Path> files = recordings.getOrDefault(key, List.of());
        if (files.isEmpty()) {
            return null;
        }
        Map<String, Long> top = new HashMap<>();
        Map<String, Long> outbox = new HashMap<>();
        Map<String, Long> waiting = new HashMap<>();
        long samples = 0;
        long natives = 0;
        for (Path recordingFile : files) {
            for (RecordedEvent event : RecordingFile.readAllEvents(recordingFile)) {
                String type = event.getEventType().getName();
                if (event.getStackTrace() == null || event.getStackTrace().getFrames().isEmpty()) {
                    continue;
                }
                List<RecordedFrame> frames = event.getStackTrace().getFrames();
                if (type.equals(SAMPLE)) {
                    samples++;
                    top.merge(name(frames.get(0).getMethod()), 1L, Long::sum);
                    outbox.merge(firstOutboxFrame(frames), 1L, Long::sum);
                } else if (type.equals(NATIVE) && !firstOutboxFrame(frames).equals(NO_OUTBOX_FRAME)) {
                    natives++;
                    waiting.merge(name(frames.get(0).getMethod()) + " <- " + firstOutboxFrame(frames), 1L, Long::sum);
                }
            }
        }
        StringBuilder text = new StringBuilder();
        text.append(String.format(Locale.ROOT, "Profile of Outbox's drains, %s: %,d execution samples in %d recordings, one every %d ms per running thread%n",
                title, samples, files.size(), PERIOD.toMillis()));
        files.forEach(path -> text.append("  ").append(path).append(System.lineSeparator()));
        text.append(String.format(Locale.ROOT, "%nRunning Java code, by top frame (the method running when sampled):%n"));
        table(text, top, samples);
        text.append(String.format(Locale.ROOT, "%nRunning Java code, by the first frame in Outbox's code (what of Outbox's made the call):%n"));
        table(text, outbox, samples);
        text.append(String.format(Locale.ROOT, "%nIn native code under Outbox's (waiting for a reply, or in the kernel), %,d samples: native method <- first Outbox frame:%n",
                natives));
        table(text, waiting, natives);
        Path summary = directory.resolve("profile-" + key + ".txt");
        Files.writeString(summary, text, StandardCharsets.UTF_8);
        return summary;
    }

    /** "dev.outbox.queue.MailQueue.submit", or "(no Outbox frame)". */
    static String firstOutboxFrame(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) {
            String type = frame.getMethod().getType().getName();
            if (type.startsWith(OUTBOX) && NOT_OUTBOX.stream().noneMatch(type::startsWith)) {
                return name(frame.getMethod());
            }
        }
        return NO_OUTBOX_FRAME;
    }

    private static String name(RecordedMethod method) {
        return method.getType().getName() + "." + method.getName();
    }

    private static void table(StringBuilder text, Map<String, Long> counts, long samples) {
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(TOP)
                .forEach(entry -> text.append(String.format(Locale.ROOT, "  %5.1f%%  %,7d  %s%n", 100.0 * entry.getValue() / samples,
                        entry.getValue(), entry.getKey())));
    }
}
