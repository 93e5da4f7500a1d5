package dev.outbox.store.journal;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Channel I/O that an interrupt cut off, done again where no interrupt reaches it.
 *
 * <p>The JDK closes a file channel, for every thread using it, when a thread blocked in it is
 * interrupted. The journal does its I/O in its callers' threads, and WildFly interrupts threads
 * (cancelled work, a transaction timeout), so one interrupted caller could fail a batch that
 * holds the records of others. Doing the I/O again in the same thread is not enough: a thread
 * interrupted again and again fails every attempt once its I/O takes longer than the gaps between
 * the interrupts (a slow disk, a busy machine: it failed a batch so on a CI machine). So I/O that
 * found its channel closed is done again, on channels opened anew, by a thread of this class's
 * own that nothing interrupts, while the caller waits and keeps its interrupt for later. Only
 * other threads' interrupts, each closing a channel once, can cut that off again: it is tried
 * up to {@link #ATTEMPTS} times in all.
 */
final class InterruptedIo {

    /** Attempts of one piece of I/O that other threads' interrupts keep closing the channel under, before it fails. */
    static final int ATTEMPTS = 10;

    /**
     * Threads that repeat cut-off I/O: made when needed (this is rare), gone after a few idle
     * seconds, so none outlives an undeployed adapter for long. Nothing but this class knows them,
     * so nothing interrupts them.
     */
    private static final ThreadPoolExecutor REPEATERS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 5, TimeUnit.SECONDS,
            new SynchronousQueue<>(), InterruptedIo::repeater);

    private InterruptedIo() {
    }

    /** I/O that may be done again with the same outcome: a positional write or read, a sync, a spare prepared anew. */
    @FunctionalInterface
    interface Repeatable {
        void run() throws IOException;
    }

    /**
     * Runs {@code io}; when it fails because a channel was closed under it (this thread or another
     * one using the channel was interrupted), has a thread nobody interrupts run {@code beforeAgain}
     * (which opens what was closed) and {@code io} again, up to {@link #ATTEMPTS} times in all,
     * and waits for it. Other failures go to the caller as they are.
     *
     * @return whether the calling thread was interrupted meanwhile; its interrupt status is then
     *         clear (but set again when this throws)
     */
    static boolean repeatAfterInterrupts(Repeatable io, Repeatable beforeAgain) throws IOException {
        try {
            io.run();
            return false;
        } catch (ClosedChannelException e) {
            boolean interrupted = Thread.interrupted();
            return awaitUninterruptibly(REPEATERS.submit(() -> repeat(io, beforeAgain)), interrupted);
        }
    }

    /** Attempts 2 to {@link #ATTEMPTS}, in a repeater thread. */
    private static Void repeat(Repeatable io, Repeatable beforeAgain) throws IOException {
        for (int attempt = 2; ; attempt++) {
            beforeAgain.run(); // throws ClosedChannelException itself once the journal is closed
            try {
                io.run();
                return null;
            } catch (ClosedChannelException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /**
     * Waits until {@code repeated} is done, through interrupts, and returns whether there were
     * any, or {@code interrupted} already (then set again when this throws).
     */
    private static boolean awaitUninterruptibly(Future<Void> repeated, boolean interrupted) throws IOException {
        try {
            while (true) {
                try {
                    repeated.get();
                    return interrupted;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException unchecked) {
                throw unchecked;
            }
            if (cause instanceof Error error) {
                throw error;
            }
            throw new IOException(cause);
        }
    }

    private static Thread repeater(Runnable task) {
        Thread thread = new Thread(task, "outbox-journal-repeat");
        thread.setDaemon(true);
        thread.setContextClassLoader(null); // holds no deployment's class loader
        return thread;
    }
}
