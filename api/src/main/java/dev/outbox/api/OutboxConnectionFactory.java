package dev.outbox.api;

import jakarta.resource.Referenceable;

import java.io.Serializable;

/**
 * The entry point an application injects: hands out connections to the Outbox queue.
 *
 * <p>Bound by the resource adapter at {@code java:/eis/Outbox}:
 * <pre>{@code
 * @Resource(lookup = "java:/eis/Outbox")
 * OutboxConnectionFactory outbox;
 *
 * try (OutboxConnection connection = outbox.getConnection()) {
 *     String id = connection.submit(message);
 * }
 * }</pre>
 *
 * <p>Threading: safe to share between threads; each thread takes its own connection.
 */
public interface OutboxConnectionFactory extends Serializable, Referenceable {

    /**
     * Returns a connection handle from the server's pool. The caller must close it, best
     * with try-with-resources.
     *
     * @throws OutboxException when the adapter is not started or the pool is exhausted
     */
    OutboxConnection getConnection() throws OutboxException;
}
