package dev.outbox.queue;

import dev.outbox.api.Envelope;

import java.time.Duration;
import java.util.List;

/**
 * Opens connections to destinations: the queue's only view of the network. Implemented in
 * {@code dev.outbox.delivery} with Angus SMTP: a smarthost directly, a domain through its MX
 * hosts (resolved at each connect, the next host or address tried when one cannot be reached).
 *
 * <p>Every call is bounded: connecting within its budget, sending within its budget, closing
 * without waiting for the server. Threading: {@link #connect} is called from many delivery
 * threads at once; each {@link Connection} is used by one thread, except {@link Connection#abort},
 * which any thread may call.
 */
public interface Deliverer {

    /**
     * Connects to {@code destination} and greets, giving up (and closing the socket) once
     * {@code budget} has passed; firing {@code abort} closes the connection from then on, while
     * it is being made as well as after.
     *
     * @throws ConnectFailedException when no connection could be had, with the reason; a
     *         {@link ConnectFailedException#isPermanent() permanent} one when the destination
     *         can never take mail (its domain does not exist, or has a null MX)
     */
    Connection connect(Destination destination, Duration budget, Abort abort) throws ConnectFailedException;

    /** As {@link #connect(Destination, Duration, Abort)}, with an abort nobody fires. */
    default Connection connect(Destination destination, Duration budget) throws ConnectFailedException {
        return connect(destination, budget, new Abort());
    }

    /** Connects to the smarthost {@code nextHop}. */
    default Connection connect(NextHop nextHop, Duration budget) throws ConnectFailedException {
        return connect(Destination.smarthost(nextHop), budget, new Abort());
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

        /**
         * As {@link #send(Envelope, byte[], Duration)}, running {@code meanwhile} once, on this
         * thread, while the transaction's first round trip is under way: after its first commands
         * are written and before any of its data is. The caller records the previous message's
         * outcome there, so that the durable write overlaps the wait for the server, and no
         * message's data goes out before the message sent before it is recorded (a crash then
         * leaves at most one message in doubt a connection). {@code meanwhile} runs before this
         * returns also when nothing could be written; should it throw, the connection is broken,
         * nothing of this message's data was sent, and this throws what it threw.
         */
        default List<RecipientOutcome> send(Envelope envelope, byte[] content, Duration budget, Runnable meanwhile) {
            meanwhile.run();
            return send(envelope, content, budget);
        }

        /** True once the connection can carry no further message (it broke, timed out, was aborted, or the server said 421). */
        boolean isBroken();

        /** Closes the socket at once, from any thread: a transfer in progress ends as on a broken connection. */
        void abort();

        /** How the connection is protected, for the log: the TLS protocol and cipher suite ("TLSv1.3 TLS_AES_256_GCM_SHA384"), or "no TLS". */
        default String tlsDescription() {
            return "no TLS";
        }

        /** The name of the host this connection reached (an MX host's name, or the smarthost's), for a notice's Remote-MTA; "" when unknown. */
        default String remoteHost() {
            return "";
        }

        /** Says QUIT without waiting for the reply, and closes. */
        @Override
        void close();
    }

    /** No connection to the destination could be had. */
    final class ConnectFailedException extends Exception {
        private static final long serialVersionUID = 1L;

        /** The reply code its recipients bounce with when permanent (RFC 7505's 556 for a null MX, else 550), or 0. */
        private final int bounceCode;

        /** A temporary failure: the destination's queue waits for its retry time. */
        public ConnectFailedException(String reason, Throwable cause) {
            super(reason, cause);
            this.bounceCode = 0;
        }

        private ConnectFailedException(String reason, int bounceCode) {
            super(reason);
            this.bounceCode = bounceCode;
        }

        /** A permanent failure: every recipient for the destination bounces with {@code replyCode} and the reason. */
        public static ConnectFailedException permanent(int replyCode, String reason) {
            if (replyCode < 500 || replyCode > 599) {
                throw new IllegalArgumentException("a permanent failure needs a 5xx reply code, not " + replyCode);
            }
            return new ConnectFailedException(reason, replyCode);
        }

        /** True when no attempt can ever succeed: the recipients bounce instead of waiting. */
        public boolean isPermanent() {
            return bounceCode != 0;
        }

        /** The 5xx code a permanent failure bounces with; 0 for a temporary one. */
        public int bounceCode() {
            return bounceCode;
        }
    }
}
