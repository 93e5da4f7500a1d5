package dev.outbox.queue;

import dev.outbox.api.Envelope;

import java.util.List;

/**
 * Opens connections to next hops: the queue's only view of the network. Implemented in
 * {@code dev.outbox.delivery} with Angus SMTP.
 *
 * <p>Threading: {@link #connect} is called from many delivery threads at once; each
 * {@link Connection} is used by one thread.
 */
public interface Deliverer {

    /**
     * Connects and greets.
     *
     * @throws ConnectFailedException when no connection could be had, with the reason
     */
    Connection connect(NextHop nextHop) throws ConnectFailedException;

    /** One open connection, carrying messages one after another. */
    interface Connection extends AutoCloseable {

        /**
         * Transfers one message and returns one {@link RecipientOutcome} per recipient of
         * {@code envelope}, in order. Never throws for a network or protocol failure: a
         * recipient is DELIVERED only after the next hop acknowledged the data, and one whose
         * fate is unknown is DEFERRED.
         */
        List<RecipientOutcome> send(Envelope envelope, byte[] content);

        /** True once the connection can carry no further message (it broke, timed out, or the server said 421). */
        boolean isBroken();

        @Override
        void close();
    }

    /** No connection to the next hop could be had. */
    final class ConnectFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        public ConnectFailedException(String reason, Throwable cause) {
            super(reason, cause);
        }
    }
}
