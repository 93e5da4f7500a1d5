package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.store.StoredMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** What the store acknowledged survives kill -9 of its JVM at any moment, whole, and nothing half-written is ever recovered. */
class JournalCrashTest {

    private static final int THREADS = 4;
    private static final long ROUND_DEADLINE_MILLIS = 15_000;
    private static final String EOF = "\u0000eof";

    /** What the parent learned from one child: the messages it recovered at start and the last step acknowledged per id. */
    private record Round(int recoveredAtStart, Map<String, Integer> acknowledged, int acknowledgements) {
    }

    @Test
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void killedAtRandomMomentsLosesNothingAcknowledged(@TempDir Path temp) throws Exception {
        long seed = System.nanoTime();
        Random random = new Random(seed);
        int[] killAfter = {50, 200, 500, 1 + random.nextInt(400), 1 + random.nextInt(400)};
        Path directory = temp.resolve("store");
        // Per id, the step the store is known to hold, checked after an earlier kill: it must never change again.
        Map<String, Integer> settled = new LinkedHashMap<>();
        int present = 0;
        for (int round = 0; round < killAfter.length; round++) {
            String context = "seed " + seed + ", round " + round + " killed after " + killAfter[round] + " acknowledgements";
            Round child = runChild(temp, directory, round, killAfter[round], context);
            assertEquals(present, child.recoveredAtStart(), context + ": the child recovered another number of messages than the parent checked");
            present = check(directory, round, settled, child, context);
        }
        assertTrue(settled.size() >= (50 + 200 + 500) / 4, "only " + settled.size() + " messages went through the rounds");
    }

    /** Starts a child on {@code directory}, reads its acknowledgements, kills it after {@code killAfter} of them, and reads the rest. */
    private static Round runChild(Path temp, Path directory, int round, int killAfter, String context) throws Exception {
        Path log = temp.resolve("child-" + round + ".log");
        Path acks = temp.resolve("acks-" + round + ".txt");
        ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                StoreCrashChild.class.getName(), directory.toString(), Integer.toString(round), Integer.toString(THREADS),
                acks.toString());
        builder.redirectError(log.toFile());
        Process process = builder.start();
        try {
            BlockingQueue<String> lines = new LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.US_ASCII))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    lines.add("reader failed: " + e);
                } finally {
                    lines.add(EOF);
                }
            }, "crash-child-reader-" + round);
            reader.setDaemon(true);
            reader.start();

            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ROUND_DEADLINE_MILLIS);
            String first = next(lines, deadline, process, log, context);
            if (!first.startsWith("ready ")) {
                fail(context + ": the child said " + first + "\n" + Files.readString(log));
            }
            int recovered = Integer.parseInt(first.substring("ready ".length()));
            Map<String, Integer> acknowledged = new HashMap<>();
            int count = 0;
            boolean killed = false;
            for (String line = next(lines, deadline, process, log, context); !line.equals(EOF); line = next(lines, deadline, process, log, context)) {
                String[] parts = line.split(" ");
                if (parts.length != 4 || !parts[0].equals("ack") || !parts[3].equals(".")) {
                    assertTrue(killed, context + ": the child said " + line + "\n" + Files.readString(log));
                    continue; // the last line, cut by the kill: it acknowledges nothing
                }
                acknowledged.merge(parts[1], Integer.parseInt(parts[2]), Math::max);
                if (++count == killAfter) {
                    process.destroyForcibly(); // SIGKILL: lines already written are still read
                    killed = true;
                }
            }
            assertTrue(killed, context + ": the child stopped after " + count + " acknowledgements\n" + Files.readString(log));
            assertTrue(process.waitFor(5, TimeUnit.SECONDS), context + ": the child outlived SIGKILL");
            // The pipe told when to kill; the file tells what was acknowledged (see StoreCrashChild).
            acknowledged.clear();
            for (String line : Files.readAllLines(acks, StandardCharsets.US_ASCII)) {
                String[] parts = line.split(" ");
                if (parts.length == 4 && parts[0].equals("ack") && parts[3].equals(".")) {
                    acknowledged.merge(parts[1], Integer.parseInt(parts[2]), Math::max);
                }
            }
            assertTrue(!acknowledged.isEmpty(), context + ": no acknowledgement in " + acks);
            return new Round(recovered, acknowledged, count);
        } finally {
            process.destroyForcibly();
        }
    }

    private static String next(BlockingQueue<String> lines, long deadline, Process process, Path log, String context) throws Exception {
        String line = lines.poll(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        if (line == null) {
            process.destroyForcibly();
            fail(context + ": no word from the child within " + ROUND_DEADLINE_MILLIS + " ms\n" + Files.readString(log));
        }
        return line;
    }

    /**
     * Opens the store the child was killed on and checks every message against what was
     * acknowledged; records in {@code settled} what it found. Returns the number of messages present.
     */
    private static int check(Path directory, int round, Map<String, Integer> settled, Round child, String context) throws IOException {
        Map<String, StoredMessage> recovered = new LinkedHashMap<>();
        int inFlight = 0;
        try (ById store = new ById(new JournalStore(directory, StoreCrashChild.SEGMENT_BYTES, Long.MAX_VALUE, StoreCrashChild.MAX_RECORD_BYTES))) {
            store.recover((m, length) -> {
                StoredMessage previous = recovered.put(m.id(), m);
                assertEquals(null, previous, context + ": " + m.id() + " recovered twice");
            });
            // Whole: every message recovered has its content exactly as the child wrote it.
            for (StoredMessage m : recovered.values()) {
                assertArrayEquals(StoreCrashChild.content(m.id()), store.content(m.id()), context + ": content of " + m.id());
            }
            assertEquals(recovered.size(), store.messageCount(), context);
        }
        // Earlier rounds: exactly what was checked after the kill that ended them.
        for (Map.Entry<String, Integer> e : settled.entrySet()) {
            assertEquals(StoreCrashChild.expected(e.getKey(), e.getValue()), Optional.ofNullable(recovered.get(e.getKey())),
                    context + ": " + e.getKey() + ", settled at step " + e.getValue() + " before this round, changed");
        }
        // This round: each acknowledged step is there; the next one may be too, if it was under way at the kill.
        String prefix = "r" + round + "-";
        List<String> ours = new ArrayList<>(child.acknowledged().keySet());
        for (String id : recovered.keySet()) {
            if (id.startsWith(prefix) && !child.acknowledged().containsKey(id)) {
                ours.add(id); // added, not yet acknowledged
            } else if (!id.startsWith(prefix) && !settled.containsKey(id)) {
                fail(context + ": " + id + " recovered but never written");
            }
        }
        for (String id : ours) {
            int acknowledged = child.acknowledged().getOrDefault(id, 0);
            Optional<StoredMessage> found = Optional.ofNullable(recovered.get(id));
            if (found.equals(StoreCrashChild.expected(id, acknowledged))) {
                settled.put(id, acknowledged);
            } else if (acknowledged < StoreCrashChild.steps(id) && found.equals(StoreCrashChild.expected(id, acknowledged + 1))) {
                settled.put(id, acknowledged + 1);
                inFlight++;
            } else {
                fail(context + ": " + id + " acknowledged at step " + acknowledged + " of " + StoreCrashChild.steps(id)
                        + " but the store holds " + found + "; expected " + StoreCrashChild.expected(id, acknowledged));
            }
        }
        assertTrue(inFlight <= THREADS, context + ": " + inFlight + " steps found done but unacknowledged, with " + THREADS + " threads");
        return recovered.size();
    }
}
