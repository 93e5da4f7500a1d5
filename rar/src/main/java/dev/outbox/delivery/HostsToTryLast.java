package dev.outbox.delivery;

import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * MX host addresses whose last session broke after the greeting (421, or no reply), to be tried
 * after every other address of their domain for a while. Without it a primary MX that greets
 * and then fails every transaction would be tried first at every retry, and its domain's backup
 * host never (RFC 5321 section 5.1: a client that fails with one address should try the others;
 * Postfix moves on after such a session).
 *
 * <p>Bounded: at most {@link #MAX_HOSTS} addresses, the oldest mark dropped first. Thread-safe.
 */
final class HostsToTryLast {

    static final int MAX_HOSTS = 10_000;
    /** As long as a short outage: long enough for the next retries to go to the backup. */
    static final long FOR_NANOS = TimeUnit.MINUTES.toNanos(10);

    private final Map<InetAddress, Long> until = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<InetAddress, Long> eldest) {
            return size() > MAX_HOSTS;
        }
    };

    /** {@code address} broke a session just now. */
    synchronized void broke(InetAddress address) {
        until.remove(address); // re-inserted at the end: the newest mark is dropped last
        until.put(address, System.nanoTime() + FOR_NANOS);
    }

    /** True while {@code address} is to be tried last. */
    synchronized boolean isMarked(InetAddress address) {
        Long mark = until.get(address);
        if (mark == null) {
            return false;
        }
        if (System.nanoTime() - mark >= 0) {
            until.remove(address);
            return false;
        }
        return true;
    }
}
