package dev.outbox.queue;

import dev.outbox.api.Envelope;

import java.time.Duration;
import java.util.List;

/**
 * Opens connections to next hops: the queue's only view of the network. Implemented in
 * {@code dev.outbox.delivery} with Angus SMTP.
 *
 * <p>Every call is bounded: connecting within its budget, sending within its budget, closing
 * without waiting for the server. Threading: {@link #connect} is called from many delivery
 * threads at once; each {@link Connection} is used by one thread, except {@link Connection#abort},
 * which any thread may call.
 */
public interface Deliverer {

    /**
     * Connects and greets, giving up (and closing the socket) once {@code budget} has passed.
     *
     * @throws ConnectFailedException when no connection could be had, with the reason
     */
    Connection connect(NextHop nextHop, Duration budget) throws ConnectFailedException;

    /**
     * As {@link #connect(NextHop, Duration)}, and firing {@code abort} closes the connection
     * from then on, while it is being made as well as after. A deliverer that cannot be
     * interrupted while connecting may leave that to its budget (this default does).
     */
    default Connection connect(NextHop nextHop, Duration budget, Abort abort) throws ConnectFailedException {
        Connection connection = connect(nextHop, budget);
        abort.onFire(connection::abort);
        return connection;
    }

    /** One open connection, carrying messages one after another. */
    interface Connection extends AutoCloseable {

        /**
         * Transfers one message and returns one {@link RecipientOutcome} per recipient of
         * {@code envelope}, in order. Never throws for a network or protocol failure: a
         * recipient is DELIVERED only after the next hop acknowledged the data, and one whose
         * fate is unknown is DEFERRED. Once {@code budget} has passed the connection is closed,
         * which ends the transfer as a broken connection.
         */
        List<RecipientOutcome> send(Envelope envelope, byte[] content, Duration budget);

        /** True once the connection can carry no further message (it broke, timed out, was aborted, or the server said 421). */
        boolean isBroken();

        /** Closes the socket at once, from any thread: a transfer in progress ends as on a broken connection. */
        void abort();

        /** How the connection is protected, for the log: the TLS protocol and cipher suite ("TLSv1.3 TLS_AES_256_GCM_SHA384"), or "no TLS". */
        default String tlsDescription() {
            return "no TLS";
        }

        /** Says QUIT without waiting for the reply, and closes. */
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
