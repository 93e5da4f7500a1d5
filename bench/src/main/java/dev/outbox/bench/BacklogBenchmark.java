package dev.outbox.bench;

import dev.outbox.store.journal.JournalStore;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Restart with a large backlog: how long the store takes to recover it, and how much heap the
 * recovered queue keeps.
 *
 * <p>{@link #measure} fills a fresh store in {@code directory} with {@code count} messages through
 * {@link JournalStore#add} ({@value #FILL_SUBMITTERS} submitters, so group commit keeps the fill
 * short), closes it, then, with the journal in the page cache as after a restart of the server:
 * reads its files once (the disk's limit for recovery), and recovers it in a fresh JVM
 * ({@link RecoveryRun}: time, and heap retained by the store and the recovered messages). Then,
 * where the page cache can be dropped ({@link PageCache}), the same read and recovery again from
 * the disk, as after a reboot. The caller deletes the directory.
 *
 * <p>Misuse and failures: too little free space for the backlog throws
 * {@link IllegalStateException} before anything is written, naming what is needed; a recovery
 * that does not give back every message throws {@link IllegalStateException}.
 */
final class BacklogBenchmark {

    /** Concurrent submitters that fill the backlog. */
    static final int FILL_SUBMITTERS = 32;

    /** Journal record overhead per message beyond its content, rounded up: header, id, envelope, status. */
    private static final int RECORD_OVERHEAD = 160;

    /** Free space the store refuses to use ({@code JournalStore.DISK_RESERVE_BYTES}). */
    private static final long STORE_RESERVE_BYTES = 64L * 1024 * 1024;

    /** Free space left over on top of the backlog and the store's own reserve. */
    private static final long SPARE_BYTES = 1024L * 1024 * 1024;

    private BacklogBenchmark() {
    }

    /**
     * What was measured. The cold figures are -1 where the page cache could not be dropped.
     *
     * @param fill                   the fill, one operation per message
     * @param fillOthersShare        share of all CPUs other processes used during the fill, -1 if unknown
     * @param diskBytes              the store's size on disk after the fill
     * @param segments               its journal segment files
     * @param readWarmNanos          reading every segment file once, from the page cache
     * @param recoverWarmNanos       new store and {@code recover()}, from the page cache
     * @param heapBytes              heap retained by the store and the recovered messages together (the messages carry the store's entries)
     * @param readColdNanos          reading every segment file once, from the disk
     * @param recoverColdNanos       new store and {@code recover()}, from the disk
     */
    record Result(long messages, int contentBytes, Rate fill, double fillOthersShare, long diskBytes, int segments,
                  long readWarmNanos, long recoverWarmNanos, long heapBytes,
                  long readColdNanos, long recoverColdNanos) {

        boolean coldMeasured() {
            return recoverColdNanos >= 0;
        }
    }

    static Result measure(StoreLayout layout, Scratch scratch, Path directory, SampleMail mail, long count) throws Exception {
        long needed = count * (mail.size() + RECORD_OVERHEAD) + layout.segmentBytes() + STORE_RESERVE_BYTES + SPARE_BYTES;
        long usable = scratch.usableBytes();
        if (usable < needed) {
            throw new IllegalStateException(String.format(Locale.ROOT,
                    "a backlog of %,d messages of %,d bytes needs about %,d MiB free on the disk of %s, which has %,d MiB: "
                            + "give a smaller --backlog or another --dir", count, mail.size(), needed >> 20, directory, usable >> 20));
        }

        MachineLoad.Snapshot fillStart = MachineLoad.now();
        Rate fill = fill(layout.open(directory), mail, count);
        double fillOthers = MachineLoad.othersShare(fillStart, MachineLoad.now());
        List<Path> segments = segmentFiles(directory);
        long diskBytes = segments.stream().mapToLong(BacklogBenchmark::size).sum();

        Progress.say("backlog: reading the %,d MiB of journal once (page cache warm)", diskBytes >> 20);
        readAll(segments); // the journal writes around the page cache (direct I/O): fill it first
        long readWarm = readAll(segments);

        Progress.say("backlog: recovering %,d messages in a fresh JVM (page cache warm)", count);
        RecoveryRun.Result warm = RecoveryRun.inFreshJvm(layout, directory, count);

        long readCold = -1;
        long recoverCold = -1;
        if (PageCache.evict(segments)) {
            Progress.say("backlog: reading the journal once (page cache dropped)");
            readCold = readAll(segments);
            PageCache.evict(segments);
            Progress.say("backlog: recovering %,d messages in a fresh JVM (page cache dropped)", count);
            recoverCold = RecoveryRun.inFreshJvm(layout, directory, count).nanos();
        } else {
            Progress.say("backlog: the page cache cannot be dropped here (needs GNU dd); cold figures not measured");
        }
        return new Result(count, mail.size(), fill, fillOthers, diskBytes, segments.size(), readWarm, warm.nanos(),
                warm.heapBytes(), readCold, recoverCold);
    }

    /** Adds {@code count} messages on {@value #FILL_SUBMITTERS} threads, then closes the store. */
    private static Rate fill(JournalStore store, SampleMail mail, long count) throws Exception {
        store.recover((message, length) -> {
            throw new IllegalStateException("the backlog directory is not empty: it holds message " + message.id());
        });
        byte[] content = mail.content();
        Progress.say("backlog: adding %,d messages of %,d bytes with %d submitters", count, mail.size(), FILL_SUBMITTERS);
        try {
            return CountedRun.measure("backlog fill", FILL_SUBMITTERS, count, mail.size(), () -> store.add(mail.next(), content));
        } finally {
            store.close();
        }
    }

    private static List<Path> segmentFiles(Path directory) throws IOException {
        try (Stream<Path> list = Files.list(directory)) {
            return list.filter(p -> p.getFileName().toString().endsWith(".journal")).sorted().toList();
        }
    }

    private static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the size of " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads every file start to end in 1 MiB blocks; returns the nanoseconds it took. */
    private static long readAll(List<Path> files) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(1024 * 1024);
        long start = System.nanoTime();
        for (Path file : files) {
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
                while (channel.read(buffer.clear()) >= 0) {
                    // read on to the end
                }
            }
        }
        return System.nanoTime() - start;
    }
}
