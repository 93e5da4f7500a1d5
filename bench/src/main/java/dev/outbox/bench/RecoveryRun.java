package dev.outbox.bench;

import dev.outbox.queue.Deliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.QueuePolicy;
import dev.outbox.queue.RetrySchedule;
import dev.outbox.store.journal.JournalStore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.ref.Reference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * One recovery of a store, alone in a fresh JVM, as when the server restarts: nothing compiled
 * yet, nothing else on the heap. The parent starts it with {@link #inFreshJvm}; its
 * {@link #main} opens a store on the directory and starts the queue engine on it, as the
 * adapter does at server start (every recipient back in its transfer queue; the next hop is
 * down, so nothing is sent), and prints one line: the time from opening the
 * store to the end of {@code recover()}, the heap retained by the store and the list together,
 * and by the store alone.
 *
 * <p>The child gets the parent's class path and JVM options, and writes its log to the parent's
 * standard error. Failures: a child that fails, or recovers another count than expected, makes
 * {@link #inFreshJvm} throw {@link IllegalStateException} with what the child printed.
 */
final class RecoveryRun {

    private static final String RESULT = "recovery-result";

    /** What the child measured. */
    record Result(long nanos, long heapBytes) {
    }

    private RecoveryRun() {
    }

    static Result inFreshJvm(StoreLayout layout, Path directory, long expected) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), RecoveryRun.class.getName(),
                directory.toAbsolutePath().toString(), Long.toString(layout.segmentBytes()), Integer.toString(layout.maxRecordBytes()),
                Long.toString(expected)));
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> output = new ArrayList<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                output.add(line);
            }
        }
        int status = child.waitFor();
        for (String line : output) {
            String[] fields = line.split(" ");
            if (status == 0 && fields.length == 3 && fields[0].equals(RESULT)) {
                return new Result(Long.parseLong(fields[1]), Long.parseLong(fields[2]));
            }
        }
        throw new IllegalStateException("recovery of " + directory + " in a fresh JVM failed (exit status " + status + "): " + output);
    }

    /** Arguments: directory, segment bytes, largest record bytes, messages expected. */
    public static void main(String[] args) throws Exception {
        Path directory = Path.of(args[0]);
        StoreLayout layout = new StoreLayout(Long.parseLong(args[1]), Integer.parseInt(args[2]));
        long expected = Long.parseLong(args[3]);

        long heapBefore = Heap.retainedBytes();
        long start = System.nanoTime();
        JournalStore store = layout.open(directory);
        // The engine as the adapter starts it, with a smarthost that is down: every recovered
        // recipient goes back into its transfer queue, and nothing is sent.
        Destination down = Destination.smarthost(new NextHop("127.0.0.1", 9));
        Deliverer unreachable = (destination, budget, abort) -> {
            throw new Deliverer.ConnectFailedException("the benchmark's next hop is down", null);
        };
        MailQueue queue = new MailQueue(Clock.systemUTC(), store, recipient -> down, unreachable, Runnable::run,
                (destination, due) -> true, new QueuePolicy(RetrySchedule.parse("1h"), Duration.ofDays(2), 1, 100));
        queue.start();
        long nanos = System.nanoTime() - start;
        if (queue.messageCount() != expected || store.corruptRecords() != 0) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "recovery of %s gave back %,d messages (%d corrupt records) but %,d were added",
                    directory, queue.messageCount(), store.corruptRecords(), expected));
        }
        long heapWithMessages = Heap.retainedBytes(); // the engine's messages carry the store's entries: the store keeps no index
        Reference.reachabilityFence(queue);
        store.close();
        System.out.println(RESULT + " " + nanos + " " + (heapWithMessages - heapBefore));
    }
}
