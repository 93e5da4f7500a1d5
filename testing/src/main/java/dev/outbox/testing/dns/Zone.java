package dev.outbox.testing.dns;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The data a {@link TestDns} answers from, and how it answers: the records by owner name, the
 * faults by name (and type), the TTL given to records and to negative answers, and the count of
 * questions per name and type.
 *
 * <p>{@link #answer(Message)} builds the response to one query the way an authoritative server
 * for every name would: the records of the asked type; else a CNAME of the name, followed (at
 * most {@value #MAX_CNAME_HOPS} links) to the target's records; else NODATA when the name exists
 * (it owns records or has names below it), NXDOMAIN when it does not, both with an SOA in the
 * authority section whose TTL and minimum are the negative TTL (RFC 2308). Flags: QR, AA, RA, and
 * RD as asked. It returns null for {@link Fault#SILENCE}.
 *
 * <p>Threading: every method may be called from any thread; changes apply to the next question.
 */
final class Zone {

    static final int MAX_CNAME_HOPS = 8;
    /** The owner of the SOA in negative answers: the server speaks for the whole tree. */
    private static final Name APEX = Name.root;
    private static final Name MNAME = Name.fromConstantString("ns.test-dns.");
    private static final Name RNAME = Name.fromConstantString("hostmaster.test-dns.");
    /** Stands for "every type" in the fault table. */
    private static final int ANY_TYPE = Type.ANY;

    private final Map<Name, List<Record>> records = new LinkedHashMap<>();
    private final Map<Question, Fault> faults = new HashMap<>();
    private final Map<Question, AtomicInteger> counts = new ConcurrentHashMap<>();
    private long ttlSeconds = 3600;
    private long negativeTtlSeconds = 300;

    private record Question(Name name, int type) {
    }

    synchronized void ttl(long seconds) {
        ttlSeconds = seconds;
    }

    synchronized long ttl() {
        return ttlSeconds;
    }

    synchronized void negativeTtl(long seconds) {
        negativeTtlSeconds = seconds;
    }

    synchronized void add(Record record) {
        records.computeIfAbsent(record.getName(), name -> new ArrayList<>()).add(record);
    }

    synchronized void remove(Name name) {
        records.remove(name);
    }

    synchronized void fault(Name name, int type, Fault fault) {
        faults.put(new Question(name, type == 0 ? ANY_TYPE : type), fault);
    }

    synchronized void heal(Name name) {
        faults.keySet().removeIf(question -> question.name().equals(name));
    }

    int queries(Name name, int type) {
        AtomicInteger count = counts.get(new Question(name, type));
        return count == null ? 0 : count.get();
    }

    int queries() {
        return counts.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    /** The response to {@code query}, or null when the server is to stay silent. */
    Message answer(Message query) {
        Message response = new Message(query.getHeader().getID());
        response.getHeader().setFlag(Flags.QR);
        response.getHeader().setOpcode(query.getHeader().getOpcode());
        if (query.getHeader().getFlag(Flags.RD)) {
            response.getHeader().setFlag(Flags.RD);
        }
        OPTRecord opt = query.getOPT();
        if (opt != null) {
            response.addRecord(new OPTRecord(opt.getPayloadSize(), 0, 0), Section.ADDITIONAL);
        }
        Record question = query.getQuestion();
        if (question == null || query.getHeader().getOpcode() != Opcode.QUERY) {
            response.getHeader().setRcode(Rcode.FORMERR);
            return response;
        }
        response.addRecord(question, Section.QUESTION);
        Name name = question.getName();
        int type = question.getType();
        counts.computeIfAbsent(new Question(name, type), q -> new AtomicInteger()).incrementAndGet();
        synchronized (this) {
            Fault fault = faults.getOrDefault(new Question(name, type), faults.get(new Question(name, ANY_TYPE)));
            if (fault == Fault.SILENCE) {
                return null;
            }
            if (fault != null) {
                response.getHeader().setRcode(fault == Fault.SERVFAIL ? Rcode.SERVFAIL : Rcode.REFUSED);
                return response;
            }
            response.getHeader().setFlag(Flags.AA);
            response.getHeader().setFlag(Flags.RA);
            answerFrom(name, type, response);
            return response;
        }
    }

    /** Fills the answer (following CNAMEs) or the negative answer for {@code name}. Holds the lock. */
    private void answerFrom(Name name, int type, Message response) {
        Name current = name;
        for (int hop = 0; hop <= MAX_CNAME_HOPS; hop++) {
            List<Record> owned = records.getOrDefault(current, List.of());
            List<Record> matching = owned.stream().filter(r -> r.getType() == type || type == Type.ANY).toList();
            if (!matching.isEmpty()) {
                matching.forEach(r -> response.addRecord(r, Section.ANSWER));
                return;
            }
            Record alias = owned.stream().filter(r -> r.getType() == Type.CNAME).findFirst().orElse(null);
            if (alias == null) {
                if (owned.isEmpty() && !hasNamesBelow(current)) {
                    response.getHeader().setRcode(Rcode.NXDOMAIN);
                }
                response.addRecord(soa(), Section.AUTHORITY);
                return;
            }
            response.addRecord(alias, Section.ANSWER);
            current = ((CNAMERecord) alias).getTarget();
        }
        // A chain longer than a resolver follows: stop where we are, as servers do.
    }

    /** An empty non-terminal exists (NODATA), unlike a name with nothing at or below it (NXDOMAIN). */
    private boolean hasNamesBelow(Name name) {
        return records.keySet().stream().anyMatch(owner -> !owner.equals(name) && owner.subdomain(name));
    }

    private SOARecord soa() {
        return new SOARecord(APEX, DClass.IN, negativeTtlSeconds, MNAME, RNAME, 1, 3600, 600, 86400, negativeTtlSeconds);
    }
}
