package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * How a record is framed in a segment file: its header, its checksum, and how a sound one is
 * recognized when it is read back. What a record's body says is {@link JournalRecords}'s matter.
 *
 * <pre>
 * record  = magic (4 bytes, "OBXJ") | body length (4) | CRC32C of length and body (4) | body
 * segment = segment magic (8 bytes, "OUTBOXJ1") | segment id (8) | records, back to back or
 *           with zeros up to the next block where a batch began (see {@link BatchWriter})
 * </pre>
 * Numbers are big-endian. A body is at least one byte long, and no record starts with a zero.
 *
 * <p>Operations: {@link #checksum} computes a record's CRC (callers of an append compute it, so
 * the writer does not); {@link #header} frames a body; {@link #recordAt} returns the body of the
 * sound record at an offset of a mapped segment, or null; {@link #readFully} reads into a buffer
 * until it is full. All are stateless and safe from any thread. Misuse: {@link #readFully} past
 * the end of the file throws {@link IOException}.
 */
final class RecordFormat {

    static final int MAGIC = 0x4F42584A; // "OBXJ"
    static final int HEADER = 12;
    static final long SEGMENT_MAGIC = 0x4F5554424F584A31L; // "OUTBOXJ1"
    static final int SEGMENT_HEADER = 16;

    private RecordFormat() {
    }

    /** The checksum of a record: of its length and its body, given as one or more parts. */
    static int checksum(int length, ByteBuffer... body) {
        CRC32C crc = new CRC32C();
        crc.update(ByteBuffer.allocate(4).putInt(0, length));
        for (ByteBuffer part : body) {
            crc.update(part.duplicate());
        }
        return (int) crc.getValue();
    }

    /** The header of a record of {@code length} bytes with checksum {@code checksum}, ready to be read. */
    static ByteBuffer header(int length, int checksum) {
        return ByteBuffer.allocate(HEADER).putInt(MAGIC).putInt(length).putInt(checksum).flip();
    }

    /** The header of segment {@code id}, ready to be read. */
    static ByteBuffer segmentHeader(long id) {
        return ByteBuffer.allocate(SEGMENT_HEADER).putLong(SEGMENT_MAGIC).putLong(id).flip();
    }

    /** The body of the sound record of at most {@code maxLength} bytes at {@code position} of {@code map}, or null if none starts there. */
    static ByteBuffer recordAt(ByteBuffer map, int position, int maxLength) {
        int size = map.limit();
        if (position + HEADER > size) {
            return null;
        }
        int magic = map.getInt(position);
        int length = map.getInt(position + 4);
        int crc = map.getInt(position + 8);
        if (magic != MAGIC || length < 1 || length > maxLength || (long) position + HEADER + length > size) {
            return null;
        }
        ByteBuffer body = map.slice(position + HEADER, length);
        return checksumOfBody(length, body) == crc ? body : null;
    }

    /**
     * {@link #checksum} of a record whose body is all of {@code body}, a buffer of the caller's own
     * that is read through and rewound, not duplicated: recovery checks a million records.
     */
    private static int checksumOfBody(int length, ByteBuffer body) {
        CRC32C crc = new CRC32C();
        crc.update(length >>> 24); // the length's four bytes, big-endian, as checksum() puts them
        crc.update(length >>> 16);
        crc.update(length >>> 8);
        crc.update(length);
        crc.update(body);
        body.rewind();
        return (int) crc.getValue();
    }

    static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, position);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + position);
            }
            position += n;
        }
    }
}
