package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.QueueFullException;
import dev.outbox.api.RecipientState;
import dev.outbox.store.RecipientChange;
import dev.outbox.store.RecipientStatus;
import dev.outbox.store.StoredMessage;
import dev.outbox.store.TestMessages;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The process {@link JournalCrashTest} kills: opens a {@link JournalStore} and works on it from
 * several threads until killed, writing one line to stdout for each operation only once the store
 * has returned from it.
 *
 * <p>Arguments: store directory, round, threads, acknowledgement file. Output: {@code ready <messages
 * recovered>}, then {@code ack <id> <step> .} lines (the final dot tells a whole line from one cut by
 * the kill), each written first to the acknowledgement file and then to stdout. The file is what
 * the parent checks against: a killed process's completed writes to a file are all there, while
 * what it wrote to a pipe just before SIGKILL is not always read back by the JDK.
 *
 * <p>Message ids are {@code r<round>-t<thread>-<n>}; what happens to a message, step by step, and
 * what it holds after each step, is a pure function of its id ({@link #steps}, {@link #expected},
 * {@link #content}), so the parent can tell exactly what each acknowledgement promised.
 */
public final class StoreCrashChild {

    static final long SEGMENT_BYTES = 64 * 1024;
    static final int MAX_RECORD_BYTES = 1024 * 1024;

    private static final FileOutputStream STDOUT = new FileOutputStream(FileDescriptor.out);
    private static FileOutputStream acks;

    private StoreCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path directory = Path.of(args[0]);
        int round = Integer.parseInt(args[1]);
        int threads = Integer.parseInt(args[2]);
        acks = new FileOutputStream(args[3], true);
        ById store = new ById(new JournalStore(directory, SEGMENT_BYTES, Long.MAX_VALUE, MAX_RECORD_BYTES));
        int[] recovered = {0};
        store.recover((m, length) -> recovered[0]++);
        say("ready " + recovered[0]);
        for (int t = 0; t < threads; t++) {
            int thread = t;
            new Thread(() -> work(store, round, thread), "crash-child-" + t).start();
        }
    }

    private static void work(ById store, int round, int thread) {
        try {
            for (int n = 0; ; n++) {
                String id = "r" + round + "-t" + thread + "-" + n;
                for (int step = 1; step <= steps(id); step++) {
                    apply(store, id, step);
                    say("ack " + id + " " + step + " .");
                }
            }
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(3);
        }
    }

    private static void say(String line) {
        byte[] bytes = (line + "\n").getBytes(StandardCharsets.US_ASCII);
        synchronized (STDOUT) {
            try {
                if (acks != null) {
                    acks.write(bytes); // one write each: a line is never interleaved with another
                }
                STDOUT.write(bytes);
            } catch (IOException e) {
                System.exit(4);
            }
        }
    }

    private static int sequence(String id) {
        return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
    }

    private static int updates(String id) {
        return sequence(id) % 3;
    }

    private static boolean removed(String id) {
        return sequence(id) % 8 != 0;
    }

    /** How many steps message {@code id} goes through: add, 0 to 2 updates, and for seven in eight a remove
     * (so old segments become mostly dead, and the kills also land in reclamation and relocation). */
    static int steps(String id) {
        return 1 + updates(id) + (removed(id) ? 1 : 0);
    }

    /** The message as added. */
    static StoredMessage added(String id) {
        return TestMessages.message(id, 2);
    }

    /** The content of message {@code id}: 64 to 4,063 bytes, depending on the id only. */
    static byte[] content(String id) {
        return TestMessages.content(id, 64 + (sequence(id) * 7919) % 4000);
    }

    private static List<RecipientChange> update(String id, int j) {
        int n = sequence(id);
        return j == 1
                ? List.of(new RecipientChange(0, TestMessages.deferred(1_000 + n, 1)))
                : List.of(new RecipientChange(0, TestMessages.deferred(2_000 + n, 2)),
                          new RecipientChange(1, TestMessages.done(RecipientState.DELIVERED, 1)));
    }

    private static void apply(ById store, String id, int step) throws QueueFullException {
        if (step == 1) {
            store.add(added(id), content(id));
        } else if (step <= 1 + updates(id)) {
            store.update(id, update(id, step - 1));
        } else {
            store.remove(id);
        }
    }

    /** What the store holds of message {@code id} once its first {@code step} steps are done: nothing, or the message with its statuses then. */
    static Optional<StoredMessage> expected(String id, int step) {
        if (step == 0 || (removed(id) && step == steps(id))) {
            return Optional.empty();
        }
        StoredMessage message = added(id);
        List<RecipientStatus> statuses = new ArrayList<>(message.statuses());
        for (int j = 1; j < step && j <= updates(id); j++) {
            for (RecipientChange change : update(id, j)) {
                statuses.set(change.recipient(), change.status());
            }
        }
        return Optional.of(TestMessages.withStatuses(message, statuses));
    }
}
