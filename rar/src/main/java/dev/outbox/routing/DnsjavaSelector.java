package dev.outbox.routing;

import org.xbill.DNS.NioClient;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * dnsjava's NIO selector: the one static thread ("dnsjava NIO selector") through which
 * dnsjava's own client sends every query of its class loader, started by the first query that
 * uses it. {@link MxResolver} never does (its queries go through {@link DnsTransport}), but any
 * other code of the adapter that asks dnsjava with its defaults (a {@code Lookup}, a
 * {@code SimpleResolver} as it comes) starts it, together with a JVM shutdown hook that keeps
 * the adapter's class loader alive after undeployment.
 *
 * <p>{@link #stop()} undoes both: {@code NioClient.close()} (dnsjava 3.4+) closes the selector,
 * fails the queries in flight and removes the shutdown hook. In dnsjava 3.6.4 that leaves the
 * thread itself alive: after closing, it joins itself and waits forever (still so on dnsjava's
 * main branch in 2026). {@link #stop()} therefore interrupts every selector thread found waiting
 * in {@code NioClient.runClose}, which ends it, and waits for it a bounded time. A thread of
 * another deployment's copy of dnsjava in that state is stuck for good as well; ending it too
 * does no harm.
 *
 * <p>{@link #threads()} lists the selector threads alive in the JVM, of any copy of dnsjava.
 *
 * <p>Threading: may be called from any thread; {@link #stop()} blocks until dnsjava's selector
 * has closed and its thread has ended, or {@value #JOIN_SECONDS} s have passed. Misuse: none;
 * a stop with no selector running returns at once.
 */
final class DnsjavaSelector {

    static final String THREAD_NAME = "dnsjava NIO selector";
    static final long JOIN_SECONDS = 5;

    private DnsjavaSelector() {
    }

    /** Closes dnsjava's selector, when one runs, and ends its thread. */
    static void stop() {
        if (threads().isEmpty()) {
            // Nothing started it, or it died: NioClient.close() would then wait forever for a thread that never answers.
            return;
        }
        NioClient.close();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(JOIN_SECONDS);
        for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
            if (THREAD_NAME.equals(thread.getKey().getName()) && closing(thread.getValue())) {
                thread.getKey().interrupt();
                try {
                    thread.getKey().join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime())));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** dnsjava selector threads alive in this JVM. */
    static List<Thread> threads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> THREAD_NAME.equals(thread.getName()) && thread.isAlive())
                .toList();
    }

    private static boolean closing(StackTraceElement[] stack) {
        return Arrays.stream(stack).anyMatch(frame -> "org.xbill.DNS.NioClient".equals(frame.getClassName())
                && "runClose".equals(frame.getMethodName()));
    }
}
