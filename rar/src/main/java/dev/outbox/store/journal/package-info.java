/**
 * The embedded store: a segmented, append-only journal, whose bookkeeping in memory lives in
 * each message's {@link dev.outbox.store.StoreEntry}, the engine's own object for it.
 *
 * <h2>Why a journal of our own</h2>
 * Three designs were weighed, and the benchmark in {@code bench/} measures the deciding costs
 * on the machine it runs on, side by side:
 * <ul>
 *   <li>A spool directory, one file per message (Postfix's way). Each submit then costs a file
 *       creation, a file sync and a directory sync, and those syncs cannot be shared between
 *       submitters: throughput stays at or below the disk's single-writer sync rate, while the
 *       goal is ten times that with sixteen submitters. The benchmark's "spool" line shows it.</li>
 *   <li>The ActiveMQ Artemis journal that WildFly ships as module
 *       {@code org.apache.activemq.artemis.journal}. It has group commit and compaction, but
 *       its module.xml marks it private ("should not be directly depended upon by
 *       deployments"; WildFly warns at every deployment that uses it), so it may change or go
 *       in any WildFly update. Holding mail we promise never to lose on a private module was
 *       judged the bigger risk. It is not in the benchmark.</li>
 *   <li>This journal: records appended to 64 MiB segments, each record framed by a magic number,
 *       its length and a CRC32C, synced with one {@code force} per batch of concurrent appends
 *       (group commit, see {@link dev.outbox.store.journal.Journal}). A submit of a 4 KiB
 *       message costs one sequential write shared with every other submitter of the moment.
 *       Segments are zero-filled and synced before records go in ({@link dev.outbox.store.journal.Segment}),
 *       so a sync flushes data and never commits a new file size: on the development disk that
 *       made a lone submitter 1.5 to 1.9x faster than appending. The next batch is laid out while
 *       the last one is written and synced (two batches under way), which keeps the disk busy
 *       while submitters come back. Batches go out as whole blocks with direct I/O where the file
 *       system has it ({@link dev.outbox.store.journal.DirectIo}): profiling showed the page cache,
 *       not the journal, taking the CPU (fresh pages for every segment, write-back inside every
 *       sync), and a message's content goes from the caller's array to the disk with one copy.
 *       Callers waiting for a sync yield the processor rather than sleep while syncs are short
 *       (see {@link dev.outbox.store.journal.Journal}): waking sleeping callers one by one took
 *       a third of each batch's time on the development machine.</li>
 * </ul>
 * Measured by {@code bench/run} on the 2-core development machine (2026-11-30, one full run, same
 * disk): the disk syncs 4,637 single 4 KiB appends a second and 9,769 single 4 KiB writes into
 * preallocated space; a spool directory takes 2,660 messages a second from one writer and 12,549
 * from sixteen; this journal takes 9,997 and 71,983 (15.5x the append rate; nine runs that day
 * gave 12.8x to 15.5x, four with waiters that always sleep, as before, 9.4x to 13.5x; on the
 * slower disk of 2026-11-25, 8.9x to 11.1x, 8.5x before direct I/O, 5.6x before
 * preallocation). Sixteen records per sync into preallocated space, with nothing else taking
 * time, would give 121,669: what sixteen synchronous submitters lose is the time each needs to
 * be woken, come back and queue again, not the sync itself.
 *
 * <h2>How the classes fit</h2>
 * <pre>
 *  JournalStore ── the MessageStore: entries handed out, records' bodies (JournalRecords),
 *   │   │          frozen destinations (FrozenDestinationsFile)
 *   │   └─ SpaceReclaimer ── live counts per segment; moves the last messages out (on a thread
 *   │                        of its own, finding them among the caller's entries); deletes
 *   ▼
 *  Journal ──────── the front: scan once, append (durable on return), read, delete, close
 *   ├─ RecoveryScan ── at open: sound records to the visitor, the rest to corrupt/, zeros cut
 *   ├─ GroupCommit ─── queue of appends, the write turn, 2 sync slots, yield or park
 *   │    └─ BatchWriter ── staging buffer per slot, the tail block, padding, one write per batch
 *   └─ SegmentSet ──── segment files: current, spare, roll, cut back, delete, directory sync
 *        └─ Segment ── one file's channels: direct write (DirectIo), a sync channel per slot,
 *                      I/O again after an interrupt (InterruptedIo)
 *  RecordFormat ──── magic | length | CRC32C | body, used by the scan and the writer
 * </pre>
 * One monitor, the journal's, guards the queue and the turn (GroupCommit), the spare and the
 * choice to delete a segment (SegmentSet); only the holder of the write turn touches the
 * current segment and the staging buffers. Everything logs under the logger {@code Journal}.
 *
 * <h2>Promises and how they are kept</h2>
 * <ul>
 *   <li>Durable before return: {@code add}, {@code update} and {@code remove} return after the
 *       data sync that covers their record.</li>
 *   <li>Crash-safe: a record is whole or it is not there. A torn or corrupt record fails its
 *       checksum; the scan at start copies its bytes to {@code corrupt/}, logs it once, counts
 *       it, and resumes at the next sound record. Appends always go to a new segment, never
 *       after a torn tail.</li>
 *   <li>Bounded memory: no index. A message's entry (the engine's object for it) holds its
 *       record's position, its statuses as recorded (one shared array for the common fresh
 *       message) and its content's length, never the content, which is read back from the
 *       segment when it is sent; recovery's own index of ids goes once recovery is done.</li>
 *   <li>Space reclaimed: the oldest segment is deleted once no live message is in it; when a
 *       few long-deferred messages are all that keep it, they are written again at the end and
 *       it goes. Replay order makes this safe (see {@link dev.outbox.store.journal.JournalStore}).</li>
 * </ul>
 */
package dev.outbox.store.journal;
