package dev.outbox.store.journal;

import dev.outbox.store.ById;
import dev.outbox.api.QueueFullException;
import dev.outbox.store.MessageStore;
import dev.outbox.store.TestMessages;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A journal directory as tests see it from outside the store: its segment files, where each
 * record of a segment starts and ends, and what was set aside under {@code corrupt/}.
 */
final class SegmentFiles {

    /** A record of a segment file: the offset of its header and its length, header included. */
    record Record(long offset, int length) {
        long end() {
            return offset + length;
        }
    }

    private SegmentFiles() {
    }

    /** Where {@code needle} first starts in {@code haystack}, or -1. */
    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * Adds and removes 40 messages of 1000 bytes (ids {@code prefix}ROUND-I) a round, until
     * {@code segment} is gone or 40 rounds are done: enough, on small segments, for the store to
     * move the live messages out of a mostly dead oldest segment. The caller asserts what it expects.
     */
    static void churn(ById store, Path segment, String prefix) throws QueueFullException {
        for (int round = 0; Files.exists(segment) && round < 40; round++) {
            for (int i = 0; i < 40; i++) {
                String id = prefix + round + "-" + i;
                store.add(TestMessages.message(id, 1), TestMessages.content(id, 1000));
            }
            for (int i = 0; i < 40; i++) {
                store.remove(prefix + round + "-" + i);
            }
        }
    }

    /** The segment files of {@code directory}, oldest first. */
    static List<Path> segments(Path directory) {
        return list(directory, p -> p.getFileName().toString().endsWith(".journal"));
    }

    /** The files set aside under {@code directory/corrupt}. */
    static List<Path> corrupt(Path directory) {
        Path corrupt = directory.resolve("corrupt");
        return Files.isDirectory(corrupt) ? list(corrupt, p -> true) : List.of();
    }

    /**
     * Every record of {@code segment}, read by its header lengths from the segment header on,
     * past the zeros a batch may leave up to the next block; the file must be sound.
     */
    static List<Record> records(Path segment) {
        List<Record> records = new ArrayList<>();
        try (FileChannel channel = FileChannel.open(segment, StandardOpenOption.READ)) {
            long size = channel.size();
            long offset = Journal.SEGMENT_HEADER;
            ByteBuffer header = ByteBuffer.allocate(Journal.RECORD_HEADER);
            while (offset < size) {
                header.clear();
                channel.read(header, offset);
                header.flip();
                if (header.remaining() < Journal.RECORD_HEADER || header.getInt() != Journal.RECORD_MAGIC) {
                    long nextBlock = (offset / Journal.BLOCK + 1) * Journal.BLOCK;
                    if (offset % Journal.BLOCK != 0 && nextBlock < size && zeros(channel, offset, nextBlock)) {
                        offset = nextBlock; // the rest of a block a batch left: the next batch starts at the next block
                        continue;
                    }
                    throw new AssertionError("no record at " + offset + " of " + segment);
                }
                int length = Journal.RECORD_HEADER + header.getInt();
                records.add(new Record(offset, length));
                offset += length;
            }
            if (offset != size) {
                throw new AssertionError("last record of " + segment + " ends at " + offset + ", the file at " + size);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    private static boolean zeros(FileChannel channel, long from, long to) throws IOException {
        ByteBuffer bytes = ByteBuffer.allocate((int) (to - from));
        Journal.readFully(channel, bytes, from);
        for (int i = 0; i < bytes.capacity(); i++) {
            if (bytes.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Copies the directory tree {@code from} to {@code to}, which must not exist. */
    static void copy(Path from, Path to) {
        try (Stream<Path> tree = Files.walk(from)) {
            for (Path source : tree.toList()) {
                Files.copy(source, to.resolve(from.relativize(source).toString()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Cuts {@code file} to its first {@code size} bytes. */
    static void truncate(Path file, long size) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.truncate(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Inverts every bit of the byte at {@code offset} of {@code file}. */
    static void flip(Path file, long offset) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            channel.read(one, offset);
            one.flip();
            byte b = one.get();
            channel.write(ByteBuffer.wrap(new byte[] {(byte) ~b}), offset);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static long size(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<Path> list(Path directory, Predicate<Path> filter) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(filter).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
