package dev.outbox.bench;

import dev.outbox.api.Envelope;
import dev.outbox.api.OutboxException;
import dev.outbox.api.RecipientState;
import dev.outbox.delivery.SmtpDeliverer;
import dev.outbox.queue.Destination;
import dev.outbox.queue.MailQueue;
import dev.outbox.queue.NextHop;
import dev.outbox.queue.QueuePolicy;
import dev.outbox.queue.RetrySchedule;
import dev.outbox.queue.Submission;
import dev.outbox.queue.TransferQueue;
import dev.outbox.routing.DnsServer;
import dev.outbox.routing.DnsSettings;
import dev.outbox.routing.MxResolver;
import dev.outbox.testing.dns.TestDns;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;

/**
 * One measurement of merge latency through the real queue engine: how long after its due time a
 * deferred recipient's retry starts, while other mail is delivered at full rate.
 *
 * <p>The engine is a {@link MailQueue} over a fresh {@link dev.outbox.store.journal.JournalStore}
 * with the adapter's defaults ({@link AdapterDefaults}) but the retry schedule
 * {@value #RETRY_SCHEDULE}, a real {@link SmtpDeliverer}, a plain thread pool for connections, and
 * {@link TimerWakeups} as its retry clock. Two kinds of mail go through it:
 *
 * <ul>
 * <li><b>background</b>: messages to {@value #LOAD_RECIPIENT}, relayed to {@link SmtpSink} as a
 *     smarthost, submitted by a feeder that keeps at least {@value #LOAD_LOW_WATER} of them ready
 *     for the whole measurement, so that destination drains at full rate throughout;</li>
 * <li><b>deferred</b>: single-recipient messages to {@value #DESTINATIONS} domains
 *     {@code dNNN.}{@value #DOMAIN}, routed by MX through a {@link TestDns} that points them all at
 *     a {@link RetryPeer}, which refuses each recipient's first RCPT with 451 and accepts the
 *     next. They are submitted at {@code perSecond} a second: first
 *     {@link #warmUp(int)} of them that are not counted (the JIT compiles the deferral and merge
 *     paths), then the measured ones.</li>
 * </ul>
 *
 * <p>Per measured recipient it records four times: its <b>due time</b>, exactly as the engine
 * persisted it when it deferred the recipient (read at the store SPI by {@link DueTimeStore}:
 * the first wait of the schedule plus the jitter drawn for it); the moment the engine merged it
 * back and the moment it took it in flight again (its {@link dev.outbox.queue.Transition}s to
 * QUEUED and to IN_FLIGHT); and the moment the peer read its second RCPT, the attempt's start.
 * It also samples how many connections are open, and counts queues entering RETRY.
 * {@link #run} returns the delays once every measured recipient is delivered, then stops the
 * engine and what it started. The caller gives a fresh directory and deletes it afterwards.
 *
 * <p>Misuse and failures: a measured recipient bounced or expired, deferred twice, never retried
 * within {@value #STALL_SECONDS} s of the last submit, or missing one of its times throws
 * {@link IllegalStateException} saying which and how many.
 */
final class MergeRun {

    static final String RETRY_SCHEDULE = "2s";
    static final int DESTINATIONS = 100;
    static final String DOMAIN = "merge.example";
    static final String LOAD_RECIPIENT = "load@load.bench.example";
    private static final int SUBMITTERS = 4;
    /** The feeder tops the background destination up whenever fewer messages than this are ready. */
    static final int LOAD_LOW_WATER = 1_000;
    private static final int LOAD_BATCH = 500;
    static final long STALL_SECONDS = 60;
    private static final long STOP_GRACE_MILLIS = 5_000;
    private static final String SENDER = "sender@example.com";
    static final long SAMPLE_MILLIS = 2;

    /**
     * What one run measured.
     *
     * @param atPeer          per measured recipient: the peer's second RCPT minus the due time, in ms
     * @param merged          per measured recipient: its merge back into the ready queue (DEFERRED to QUEUED) minus its due time, in ms:
     *                        the retry clock's lateness and the wake-up's own work
     * @param waited          per measured recipient: its take in flight minus its merge: waiting for a connection and its thread
     * @param connecting      per measured recipient: the peer's second RCPT minus the take in flight: DNS (cached), TCP, greeting, EHLO, MAIL
     * @param submitted       measured recipients submitted
     * @param submitRate      the deferred mail's submits per second, warm-up included
     * @param nanos           from the first measured submit to the last measured recipient's delivery
     * @param background      background messages smtp-sink received over that span
     * @param wakeupsFired    wake-ups the retry clock ran over the whole run
     * @param wakeupsAsked    wake-ups the engine asked for over the whole run
     * @param stuckRecovered  the engine's {@code StuckRecovered} at the end (must be 0)
     * @param overdue         the engine's {@code OverdueRecipients} just before it stopped
     * @param repeats         RCPTs the peer saw for a recipient it had accepted already
     * @param retries         times a transfer queue entered RETRY (a connection-level failure, not a 451 for one recipient)
     * @param firstRetry      the first such log line, or ""
     * @param capFull         share of the span (sampled every {@value #SAMPLE_MILLIS} ms) during which every connection the global cap allows was open
     * @param meanOpen        mean connections open over the span, of {@code maxConnections}
     * @param maxConnections  the global connection cap
     * @param perDestination  the connection limit of each destination
     * @param times           per measured recipient, a CSV line: address, destination, first RCPT, due, merged, in flight, second RCPT (epoch ms)
     * @param cpuNanos        this process's CPU time over the span, -1 if unknown
     * @param othersShare     the share of the CPUs other processes and the kernel used over the span (smtp-sink not counted), -1 if unknown
     */
    record Result(Latencies atPeer, Latencies merged, Latencies waited, Latencies connecting, int submitted, double submitRate, long nanos, long background,
                  long wakeupsFired, long wakeupsAsked, long stuckRecovered, int overdue, int repeats, int retries, String firstRetry,
                  double capFull, double meanOpen, int maxConnections, int perDestination, List<String> times, long cpuNanos, double othersShare) {
    }

    private MergeRun() {
    }

    /** Recipients submitted before the measured ones, not counted: a tenth, 100 to 1,000. */
    static int warmUp(int measured) {
        return Math.max(100, Math.min(1_000, measured / 10));
    }

    /** Measured recipient {@code k}: r{k}@dNNN.merge.example, over the destinations in turn. */
    static String measured(int k) {
        return "r" + k + "@" + destination(k);
    }

    static String destination(int k) {
        return String.format(Locale.ROOT, "d%03d.%s", k % DESTINATIONS, DOMAIN);
    }

    static boolean isMeasured(String recipient) {
        return recipient.startsWith("r") && recipient.endsWith("." + DOMAIN);
    }

    static int index(String recipient) {
        return Integer.parseInt(recipient, 1, recipient.indexOf('@'), 10);
    }

    static Result run(AdapterDefaults defaults, StoreLayout layout, Path directory, int count, int perSecond, int bytes, SmtpSink sink,
                      RetryPeer peer, TestDns dns) throws InterruptedException {
        AtomicLongArray due = new AtomicLongArray(count);
        AtomicLongArray merged = new AtomicLongArray(count);
        AtomicLongArray inFlight = new AtomicLongArray(count);
        AtomicInteger delivered = new AtomicInteger();
        LongAdder failed = new LongAdder();
        LongAdder deferredAgain = new LongAdder();
        DueTimeStore store = new DueTimeStore(layout.open(directory), MergeRun::isMeasured, (recipient, dueMillis, attempts) -> {
            if (attempts == 1) {
                due.set(index(recipient), dueMillis);
            } else {
                deferredAgain.increment();
            }
        });

        AtomicInteger numbers = new AtomicInteger();
        ExecutorService threads = Executors.newCachedThreadPool(task -> {
            Thread thread = new Thread(task, "bench-merge-" + numbers.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        SmtpDeliverer deliverer = new SmtpDeliverer(defaults.smtp(),
                new MxResolver(DnsSettings.defaults().withServers(List.of(DnsServer.parse(dns.server())))), peer.port());
        Destination load = Destination.smarthost(new NextHop("127.0.0.1", sink.port()));
        Function<String, Destination> router = recipient -> recipient.equals(LOAD_RECIPIENT) ? load : Destination.ofRecipient(recipient);
        QueuePolicy shipped = defaults.policy();
        QueuePolicy policy = new QueuePolicy(RetrySchedule.parse(RETRY_SCHEDULE), shipped.maxAge(), shipped.connectionsPerDestination(),
                shipped.messagesPerConnection(), shipped.maxConnections(), shipped.attemptTimeout());
        TimerWakeups clock = new TimerWakeups();
        MailQueue queue = new MailQueue(Clock.systemUTC(), store, router, deliverer, threads, clock, policy);
        clock.attach(queue);
        queue.listen(transition -> {
            if (!isMeasured(transition.recipient())) {
                return;
            }
            int k = index(transition.recipient());
            switch (transition.to()) {
                case QUEUED -> {
                    if (transition.from() == RecipientState.DEFERRED) {
                        merged.compareAndSet(k, 0, transition.atMillis());
                    }
                }
                case IN_FLIGHT -> {
                    if (due.get(k) != 0) {
                        inFlight.compareAndSet(k, 0, transition.atMillis()); // its retry: the first attempt came before any due time
                    }
                }
                case DELIVERED -> delivered.incrementAndGet();
                case BOUNCED, EXPIRED, DELETED -> failed.increment();
                default -> {
                }
            }
        });

        RetryWatch retries = RetryWatch.install();
        SampleMail sample = SampleMail.ofSize(bytes, LOAD_RECIPIENT);
        Feeder feeder = new Feeder(queue, load.name(), sample.submission());
        boolean stopped = false;
        try {
            queue.start();
            feeder.start();
            awaitBackground(sink, feeder);

            int warmUp = warmUp(count);
            Progress.say("merge: Outbox: submitting %,d warm-up and %,d measured recipients, %,d a second, to %d destinations, "
                    + "while the background drains to smtp-sink", warmUp, count, perSecond, DESTINATIONS);
            long paceStart = System.nanoTime();
            submitPaced(queue, sample, warmUp, k -> "w" + k + "@" + destination(k), perSecond, paceStart, 0);
            long backgroundStart = sink.messages();
            MachineLoad.Snapshot loadStart = MachineLoad.now();
            long cpuStart = MachineLoad.processCpuNanos();
            long sinkCpuStart = sink.cpuNanos();
            long start = System.nanoTime();
            Sampler sampler = Sampler.start(queue, policy.maxConnections());
            submitPaced(queue, sample, count, MergeRun::measured, perSecond, paceStart, warmUp);
            long submitEnd = System.nanoTime();
            double submitRate = (warmUp + count) * 1e9 / (submitEnd - paceStart);

            awaitDelivered(queue, feeder, delivered, failed, deferredAgain, count, submitEnd);
            long nanos = System.nanoTime() - start;
            sampler.stop();
            long cpu = cpuStart < 0 ? -1 : MachineLoad.processCpuNanos() - cpuStart;
            long sinkCpuEnd = sink.cpuNanos();
            MachineLoad.Snapshot loadEnd = MachineLoad.now();
            double others = MachineLoad.othersShare(loadStart, loadEnd, sinkCpuStart < 0 || sinkCpuEnd < 0 ? 0 : sinkCpuEnd - sinkCpuStart);
            long background = sink.messages() - backgroundStart;
            int overdue = queue.overdueRecipients();

            feeder.stop();
            queue.stop(STOP_GRACE_MILLIS);
            stopped = true;
            long[] atPeer = new long[count];
            long[] mergedAfter = new long[count];
            long[] waited = new long[count];
            long[] connecting = new long[count];
            List<String> times = new ArrayList<>(count);
            int missing = 0;
            String example = "";
            for (int k = 0; k < count; k++) {
                String recipient = measured(k);
                long dueMillis = due.get(k);
                long accepted = peer.acceptedAt(recipient);
                long merge = merged.get(k);
                long took = inFlight.get(k);
                if (dueMillis == 0 || merge == 0 || took == 0 || accepted == 0 || peer.refusedAt(recipient) == 0) {
                    if (missing++ == 0) {
                        example = String.format(Locale.ROOT, "%s: refused at %d, due %d, merged %d, in flight again %d, accepted %d",
                                recipient, peer.refusedAt(recipient), dueMillis, merge, took, accepted);
                    }
                    continue;
                }
                atPeer[k] = accepted - dueMillis;
                mergedAfter[k] = merge - dueMillis;
                waited[k] = took - merge;
                connecting[k] = accepted - took;
                times.add(String.join(",", recipient, destination(k), Long.toString(peer.refusedAt(recipient)), Long.toString(dueMillis),
                        Long.toString(merge), Long.toString(took), Long.toString(accepted)));
            }
            if (missing > 0) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%,d of %,d measured recipients lack a time (every one was delivered); the first: %s", missing, count, example));
            }
            return new Result(Latencies.of(atPeer), Latencies.of(mergedAfter), Latencies.of(waited), Latencies.of(connecting), count, submitRate, nanos, background, clock.fired(),
                    clock.requested(), queue.stuckRecovered(), overdue, peer.repeats(), retries.count(), retries.first(),
                    sampler.fullShare(), sampler.meanOpen(), policy.maxConnections(),
                    policy.connectionsPerDestination().defaultValue(), times, cpu, others);
        } finally {
            retries.uninstall();
            feeder.stop();
            if (!stopped) {
                queue.stop(STOP_GRACE_MILLIS);
            }
            clock.close();
            deliverer.close();
            threads.shutdownNow();
            if (!threads.awaitTermination(10, TimeUnit.SECONDS)) {
                Progress.say("merge: delivery threads still running 10 s after the engine stopped");
            }
        }
    }

    /** Makes recipient {@code k}'s address. */
    private interface Addresses {
        String of(int k);
    }

    /**
     * Submits {@code count} single-recipient messages from {@value #SUBMITTERS} threads at
     * {@code perSecond} (see {@link PacedRun}): a submit returns only once it is synced, so one
     * thread alone could not keep the pace while the background is written too.
     */
    private static void submitPaced(MailQueue queue, SampleMail sample, int count, Addresses addresses, int perSecond, long paceStart,
                                    int offset) throws InterruptedException {
        PacedRun.run("merge submit", SUBMITTERS, count, perSecond, paceStart, offset, slots -> {
            for (int k; (k = slots.next()) >= 0; ) {
                queue.submit(new Submission(Envelope.of(SENDER, addresses.of(k)), sample.submission().content()));
            }
        });
    }

    /** Waits until smtp-sink has taken some background mail: the measured mail goes in while it flows. */
    private static void awaitBackground(SmtpSink sink, Feeder feeder) throws InterruptedException {
        long before = sink.messages();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(STALL_SECONDS);
        while (sink.messages() - before < LOAD_BATCH) {
            feeder.check();
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the background mail did not reach " + sink + " in " + STALL_SECONDS + " s");
            }
            Thread.sleep(10);
        }
    }

    private static void awaitDelivered(MailQueue queue, Feeder feeder, AtomicInteger delivered, LongAdder failed, LongAdder deferredAgain, int count,
                                       long submitEnd) throws InterruptedException {
        long deadline = submitEnd + TimeUnit.SECONDS.toNanos(STALL_SECONDS);
        while (delivered.get() < count) {
            feeder.check(); // without the background there is no load to measure under
            if (failed.sum() > 0 || deferredAgain.sum() > 0) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "measured recipients must be deferred once and then delivered, but %,d failed and %,d were deferred again: %s",
                        failed.sum(), deferredAgain.sum(), describe(queue)));
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException(String.format(Locale.ROOT,
                        "%,d of %,d measured recipients delivered %d s after the last submit: %s", delivered.get(), count,
                        STALL_SECONDS, describe(queue)));
            }
            Thread.sleep(5);
        }
    }

    private static String describe(MailQueue queue) {
        long now = queue.clock().millis();
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "messages %,d, delivered %,d, deferred %,d, connections %d, stuck recovered %d",
                queue.messageCount(), queue.deliveredCount(), queue.deferredCount(), queue.openConnections(), queue.stuckRecovered()));
        int shown = 0;
        for (TransferQueue transfer : queue.queues()) {
            if (transfer.deferredCount() > 0 && shown++ < 5) {
                text.append("; queue ").append(transfer.name()).append(' ').append(transfer.state(now)).append(", deferred ")
                        .append(transfer.deferredCount()).append(", next wake ").append(transfer.armedAtMillis() - now).append(" ms, last error \"")
                        .append(transfer.lastError()).append('"');
            }
        }
        return text.toString();
    }

    /** Samples the connections open over all destinations every {@value #SAMPLE_MILLIS} ms, on a thread of its own. */
    private static final class Sampler implements Runnable {
        private final MailQueue queue;
        private final int cap;
        private final Thread thread;
        private volatile boolean stopping;
        private long samples;
        private long full;
        private long open;

        private Sampler(MailQueue queue, int cap) {
            this.queue = queue;
            this.cap = cap;
            this.thread = new Thread(this, "bench-merge-sampler");
            thread.setDaemon(true);
        }

        static Sampler start(MailQueue queue, int cap) {
            Sampler sampler = new Sampler(queue, cap);
            sampler.thread.start();
            return sampler;
        }

        @Override
        public void run() {
            while (!stopping) {
                int now = queue.openConnections();
                synchronized (this) {
                    samples++;
                    open += now;
                    if (now >= cap) {
                        full++;
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(SAMPLE_MILLIS));
            }
        }

        void stop() throws InterruptedException {
            stopping = true;
            thread.join();
        }

        synchronized double fullShare() {
            return samples == 0 ? 0 : (double) full / samples;
        }

        synchronized double meanOpen() {
            return samples == 0 ? 0 : (double) open / samples;
        }
    }

    /**
     * Counts the engine's "entered RETRY" lines (INFO, from {@code MailQueue}) and keeps the first:
     * a connection-level failure holds a whole destination for its retry wait, which would show in
     * the delays as if the merge were slow. Other INFO lines of that logger are dropped, as the
     * lane's log level drops them anyway; warnings and worse pass as before.
     */
    private static final class RetryWatch implements java.util.logging.Filter {
        private static final java.util.logging.Logger ENGINE = java.util.logging.Logger.getLogger(MailQueue.class.getName());
        private final AtomicInteger count = new AtomicInteger();
        private final AtomicReference<String> first = new AtomicReference<>("");
        private java.util.logging.Level level;
        private java.util.logging.Filter filter;

        static RetryWatch install() {
            RetryWatch watch = new RetryWatch();
            watch.level = ENGINE.getLevel();
            watch.filter = ENGINE.getFilter();
            ENGINE.setLevel(java.util.logging.Level.INFO);
            ENGINE.setFilter(watch);
            return watch;
        }

        void uninstall() {
            ENGINE.setFilter(filter);
            ENGINE.setLevel(level);
        }

        int count() {
            return count.get();
        }

        String first() {
            return first.get();
        }

        @Override
        public boolean isLoggable(java.util.logging.LogRecord record) {
            if (record.getMessage() != null && record.getMessage().contains("entered RETRY")) {
                count.incrementAndGet();
                first.compareAndSet("", record.getMessage());
                return false;
            }
            return record.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue();
        }
    }

    /**
     * Keeps the background destination busy: whenever fewer than {@value #LOAD_LOW_WATER} of its
     * messages are ready, submits {@value #LOAD_BATCH} more, on a thread of its own, until stopped.
     */
    private static final class Feeder implements Runnable {
        private final MailQueue queue;
        private final String destination;
        private final Submission submission;
        private final Thread thread;
        private volatile boolean stopping;
        private volatile RuntimeException failure;

        Feeder(MailQueue queue, String destination, Submission submission) {
            this.queue = queue;
            this.destination = destination;
            this.submission = submission;
            this.thread = new Thread(this, "bench-merge-feeder");
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        /** Throws what stopped the feeder, if anything did. */
        void check() {
            if (failure != null) {
                throw new IllegalStateException("the background feeder failed: " + failure.getMessage(), failure);
            }
        }

        void stop() throws InterruptedException {
            stopping = true;
            thread.join(TimeUnit.SECONDS.toMillis(10));
        }

        @Override
        public void run() {
            try {
                while (!stopping) {
                    TransferQueue transfer = queue.queue(destination);
                    if (transfer != null && transfer.readyCount() >= LOAD_LOW_WATER) {
                        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
                        continue;
                    }
                    for (int i = 0; i < LOAD_BATCH && !stopping; i++) {
                        queue.submit(submission);
                    }
                }
            } catch (OutboxException | RuntimeException e) {
                if (!stopping) {
                    failure = e instanceof RuntimeException runtime ? runtime : new IllegalStateException(e);
                }
            }
        }
    }
}
