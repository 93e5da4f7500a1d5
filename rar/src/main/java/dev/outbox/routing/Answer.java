package dev.outbox.routing;

import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

import java.util.List;

/**
 * What DNS said to one question (a name and a type), classified once: the records
 * ({@link Found}), the name does not exist ({@link NoSuchDomain}), the name has no records of
 * that type ({@link NoData}), or no usable answer ({@link Failed}). {@link NameServers} makes
 * them, {@link AnswerCache} keeps all but failures for their TTL, {@link MxResolver} reads them.
 *
 * <p>{@link #describe()} is the answer as a phrase for an operator, naming the question and the
 * server that answered ("NXDOMAIN for mx1.example.com/A from 192.0.2.53:53"). Names print in
 * dnsjava's master-file notation, which escapes every byte outside printable ASCII as
 * {@code \DDD}, so a hostile name cannot break a log line.
 *
 * <p>Immutable.
 */
sealed interface Answer permits Answer.Found, Answer.NoSuchDomain, Answer.NoData, Answer.Failed {

    /** The name asked about. */
    Name name();

    /** The type asked about, as dnsjava's {@link Type} numbers it. */
    int type();

    /** A phrase for an operator: what was asked, what came back, from which server. */
    String describe();

    /**
     * The records of the asked type, at the end of any CNAME chain.
     *
     * @param records    at least one, all of the asked type
     * @param ttlSeconds the smallest TTL of the records and of the CNAMEs that led to them
     */
    record Found(Name name, int type, List<Record> records, long ttlSeconds, String server) implements Answer {
        public Found {
            records = List.copyOf(records);
        }

        @Override
        public String describe() {
            return records.size() + " " + Type.string(type) + " record(s) for " + text(name) + " from " + server;
        }
    }

    /**
     * NXDOMAIN: the name (or the target of its CNAME chain, {@code missing}) does not exist.
     *
     * @param ttlSeconds how long it may be remembered (RFC 2308: the SOA's TTL or minimum,
     *                   whichever is smaller; 0 without an SOA)
     */
    record NoSuchDomain(Name name, int type, Name missing, long ttlSeconds, String server) implements Answer {
        @Override
        public String describe() {
            String alias = missing.equals(name) ? "" : text(name) + " is an alias of " + text(missing) + ", and ";
            return alias + "NXDOMAIN for " + text(missing) + "/" + Type.string(type) + " from " + server;
        }
    }

    /** NOERROR without records of the type (NODATA): the name exists, with other types only. */
    record NoData(Name name, int type, long ttlSeconds, String server) implements Answer {
        @Override
        public String describe() {
            return "no " + Type.string(type) + " records for " + text(name) + " (NODATA from " + server + ")";
        }
    }

    /**
     * No usable answer: SERVFAIL, REFUSED, a timeout, no server listening, a malformed or
     * unusable response. Temporary: never cached.
     *
     * @param reason what each server did, for example "SERVFAIL from 192.0.2.53:53"
     */
    record Failed(Name name, int type, String reason) implements Answer {
        @Override
        public String describe() {
            return "the lookup of " + text(name) + "/" + Type.string(type) + " failed: " + reason;
        }
    }

    /** {@code name} as an operator reads it: master-file notation without the final dot. */
    static String text(Name name) {
        return name.toString(true);
    }
}
