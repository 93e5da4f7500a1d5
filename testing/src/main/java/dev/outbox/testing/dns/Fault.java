package dev.outbox.testing.dns;

/**
 * What {@link TestDns} does, instead of answering, with a question about a name it was told to
 * fault ({@link TestDns#fault(String, Fault)}).
 */
public enum Fault {

    /** Answers with RCODE 2, SERVFAIL: the server failed, try again later. */
    SERVFAIL,

    /** Answers with RCODE 5, REFUSED: this server will not answer that question. */
    REFUSED,

    /**
     * Sends nothing at all, over UDP or TCP (the TCP connection stays open): the client's query
     * times out, as when a server or the network is down.
     */
    SILENCE
}
