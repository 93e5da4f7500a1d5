package dev.outbox.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The threads a test server starts, and the failures they meet where the test cannot see them
 * (on the server's own threads). A server starts every thread through {@link #start}, reports
 * what goes wrong with {@link #problem}, and at its close, after closing its sockets, calls
 * {@link #join}, which turns a thread that does not end, or any problem, into a failure of the
 * test.
 *
 * <p>Threading: every method may be called from any thread.
 *
 * <p>Misuse: {@link #join} throws {@link IllegalStateException} naming the threads still alive
 * after the bound, else {@link AssertionError} with the first problem as its cause and the
 * others suppressed.
 */
public final class ServerThreads {

    private final String server;
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private final List<Throwable> problems = new CopyOnWriteArrayList<>();

    /** Threads of {@code server}, as failures name it ("the DNS server 127.0.0.1:5353"). */
    public ServerThreads(String server) {
        this.server = Objects.requireNonNull(server, "server");
    }

    /** Starts {@code body} on a new daemon thread called {@code name}, and returns it. */
    public Thread start(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        threads.add(thread);
        thread.start();
        return thread;
    }

    /** Records a failure on a server thread, for {@link #join} to report. */
    public void problem(Throwable problem) {
        problems.add(problem);
    }

    /** The failures recorded so far, in order. */
    public List<Throwable> problems() {
        return List.copyOf(problems);
    }

    /**
     * Waits up to {@code bound} in all for every thread started to end; then throws when one has
     * not, or when a problem was recorded. The caller closes what the threads block on first.
     */
    public void join(Duration bound) {
        long end = System.nanoTime() + bound.toNanos();
        List<String> alive = new ArrayList<>();
        for (Thread thread : threads) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                alive.add(thread.getName());
            }
        }
        if (!alive.isEmpty()) {
            throw new IllegalStateException("threads of " + server + " still running " + bound + " after close: " + alive);
        }
        if (!problems.isEmpty()) {
            AssertionError failure = new AssertionError(server + " failed " + problems.size() + " time(s) during the run; first: "
                    + problems.get(0).getMessage(), problems.get(0));
            problems.stream().skip(1).forEach(failure::addSuppressed);
            throw failure;
        }
    }
}
