package dev.outbox.routing;

import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;
import org.xbill.DNS.WireParseException;

import java.io.Closeable;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.net.PortUnreachableException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The DNS servers an {@link MxResolver} asks, and how it asks them: one question at a time,
 * server after server, each answer classified into an {@link Answer}.
 *
 * <ul>
 * <li>{@link #ask(Name, int, long)}: the answer to one question by the deadline. The servers are
 *     asked in order, each with the query timeout (less when the deadline is nearer); a server
 *     that does not answer (timeout, nothing listening, a broken answer) is tried again in a
 *     second round, one that answers SERVFAIL, REFUSED or another error code is not. The first
 *     NOERROR or NXDOMAIN wins. A CNAME is followed, in the same answer or by asking about its
 *     target, at most {@value #MAX_CNAME_LINKS} links. When no server gives a usable answer,
 *     the {@link Answer.Failed} says what each one did.</li>
 * <li>{@link #close()}: from then on every question fails at once, and the sockets of questions
 *     in flight are closed, so that callers blocked on them return.</li>
 * </ul>
 *
 * <p>An answer from a server that neither offers recursion (RA) nor is authoritative (AA) is
 * not used: it is a referral from a server that is not a resolver, and taking its empty answer
 * for NODATA would bounce mail that exists.
 *
 * <p>Threading: {@link #ask} may be called from many threads at once and blocks the calling
 * thread for the whole exchange (see {@link DnsTransport}); it never starts a thread.
 */
final class NameServers implements Closeable {

    /** The most records kept of one answer. */
    static final int MAX_RECORDS = 32;

    static final int ATTEMPTS_PER_SERVER = 2;
    static final int MAX_CNAME_LINKS = 8;
    /** Less time than this left of a lookup is no time to ask a server. */
    private static final long MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** dnsjava's continuations (parsing, the TCP retry) run on the thread that asked. */
    private static final Executor CALLING_THREAD = Runnable::run;

    private final List<InetSocketAddress> servers;
    private final Duration queryTimeout;
    /** The lookups under way, each with the sockets it has open: {@link #close()} cancels them all. */
    private final Set<Lookup> lookups = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * One caller's lookup (all the questions of one route): its open sockets, so that
     * {@link #cancel()} from another thread closes them and ends the wait at once, and every
     * question asked after that fails without a query. Made by {@link NameServers#begin()}, ended
     * by {@link NameServers#end(Lookup)}.
     */
    static final class Lookup {
        private final Set<Closeable> sockets = ConcurrentHashMap.newKeySet();
        private volatile boolean cancelled;

        /** Records a socket just opened; closes it and throws when the lookup is cancelled already. */
        void opened(Closeable socket) throws IOException {
            sockets.add(socket);
            if (cancelled) { // cancel() may have taken its snapshot before the add: close it here
                sockets.remove(socket);
                socket.close();
                throw new IOException("the lookup was cancelled");
            }
        }

        void closed(Closeable socket) {
            sockets.remove(socket);
        }

        /** Closes the lookup's sockets and fails its later questions at once. */
        void cancel() {
            cancelled = true;
            for (Closeable socket : sockets) {
                try {
                    socket.close();
                } catch (IOException e) {
                    // Closing is all we wanted.
                }
            }
        }

        boolean cancelled() {
            return cancelled;
        }
    }

    /** A usable response and which server sent it; or, with no message, what every server did instead. */
    private record Reply(Message message, String server, String failure) {
        static Reply failed(Set<String> failures) {
            return new Reply(null, null, String.join("; ", failures));
        }
    }

    NameServers(List<InetSocketAddress> servers, Duration queryTimeout) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no DNS server to ask");
        }
        this.servers = List.copyOf(servers);
        this.queryTimeout = queryTimeout;
    }

    List<InetSocketAddress> servers() {
        return servers;
    }

    /** The answer to {@code name}/{@code type}, following CNAMEs, by {@code deadlineNanos} ({@link System#nanoTime()}). */
    Answer ask(Name name, int type, long deadlineNanos, Lookup lookup) {
        Name current = name;
        long ttl = Long.MAX_VALUE;
        int links = 0;
        while (true) {
            Reply reply = exchange(current, type, deadlineNanos, lookup);
            if (reply.message() == null) {
                String via = current.equals(name) ? "" : " (asking about " + Answer.text(current) + ", the CNAME target)";
                return new Answer.Failed(name, type, reply.failure() + via);
            }
            Message message = reply.message();
            Name end = current;
            List<Record> data = records(message, end, type);
            while (data.isEmpty()) {
                CNAMERecord alias = alias(message, end);
                if (alias == null) {
                    break;
                }
                if (++links > MAX_CNAME_LINKS) {
                    return new Answer.Failed(name, type, "a CNAME chain longer than " + MAX_CNAME_LINKS + " links, from " + reply.server());
                }
                ttl = Math.min(ttl, alias.getTTL());
                end = alias.getTarget();
                data = records(message, end, type);
            }
            if (!data.isEmpty()) {
                long dataTtl = data.stream().mapToLong(Record::getTTL).min().orElse(0);
                return new Answer.Found(name, type, bounded(data), Math.min(ttl, dataTtl), reply.server());
            }
            if (message.getRcode() == Rcode.NXDOMAIN) {
                return new Answer.NoSuchDomain(name, type, end, Math.min(ttl, negativeTtl(message)), reply.server());
            }
            if (end.equals(current) || soa(message) != null) {
                return new Answer.NoData(name, type, Math.min(ttl, negativeTtl(message)), reply.server());
            }
            current = end; // the chain leaves this answer without saying more: ask about its end
        }
    }

    /** A new lookup, cancelled at once when these servers are closed. Pass it to {@link #end} when done. */
    Lookup begin() {
        Lookup lookup = new Lookup();
        lookups.add(lookup);
        if (closed) {
            lookup.cancel();
        }
        return lookup;
    }

    void end(Lookup lookup) {
        lookups.remove(lookup);
    }

    /** Ends every question in flight and refuses new ones. */
    @Override
    public void close() {
        closed = true;
        for (Lookup lookup : lookups) {
            lookup.cancel();
        }
    }

    /** A reply with NOERROR or NXDOMAIN, or one saying what every server did instead. */
    private Reply exchange(Name name, int type, long deadlineNanos, Lookup lookup) {
        Set<String> failures = new LinkedHashSet<>();
        Set<InetSocketAddress> answered = new LinkedHashSet<>();
        for (int round = 0; round < ATTEMPTS_PER_SERVER; round++) {
            for (InetSocketAddress server : servers) {
                if (answered.contains(server)) {
                    continue;
                }
                if (closed || lookup.cancelled()) {
                    failures.add(closed ? "the resolver is closed" : "the lookup was cancelled");
                    return Reply.failed(failures);
                }
                long left = deadlineNanos - System.nanoTime();
                if (left < MIN_WAIT_NANOS) {
                    failures.add("no time left of the lookup's time limit");
                    return Reply.failed(failures);
                }
                Duration wait = Duration.ofNanos(Math.min(queryTimeout.toNanos(), left));
                String label = label(server);
                try {
                    Message response = send(server, name, type, wait, lookup);
                    int rcode = response.getRcode();
                    if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
                        failures.add(Rcode.string(rcode) + " from " + label);
                        answered.add(server);
                    } else if (!response.getHeader().getFlag(Flags.RA) && !response.getHeader().getFlag(Flags.AA)) {
                        failures.add(label + " neither offers recursion (RA) nor is authoritative (AA): not a resolver to use");
                        answered.add(server);
                    } else {
                        return new Reply(response, label, null);
                    }
                } catch (SocketTimeoutException e) {
                    failures.add("no answer within " + text(wait) + " from " + label);
                } catch (PortUnreachableException e) {
                    failures.add("nothing listens on " + label + " (port unreachable)");
                } catch (ConnectException e) {
                    failures.add(label + " refused the TCP connection");
                } catch (WireParseException e) {
                    failures.add("a malformed answer from " + label + ": " + e.getMessage());
                } catch (IOException e) {
                    failures.add(closed ? "the resolver is closed" : lookup.cancelled() ? "the lookup was cancelled" : label + ": " + e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failures.add("interrupted while asking " + label);
                    return Reply.failed(failures);
                }
            }
        }
        return Reply.failed(failures);
    }

    /** Sends one query and waits for its answer on this thread. */
    private Message send(InetSocketAddress server, Name name, int type, Duration wait, Lookup lookup) throws IOException, InterruptedException {
        SimpleResolver resolver = new SimpleResolver(server);
        resolver.setTimeout(wait);
        resolver.setIoClientFactory(new DnsTransport(System.nanoTime() + wait.toNanos(), lookup));
        Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        CompletableFuture<Message> response = resolver.sendAsync(query, CALLING_THREAD).toCompletableFuture();
        try {
            // Done already: the transport blocks this thread until the exchange ends. The bound is a safety net.
            return response.get(wait.toNanos() * 2 + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException(e.getCause());
        } catch (TimeoutException e) {
            throw new SocketTimeoutException("no answer within " + text(wait));
        }
    }

    /** The records of {@code type} owned by {@code owner} in the answer section. */
    private static List<Record> records(Message message, Name owner, int type) {
        List<Record> found = new ArrayList<>();
        for (Record record : message.getSection(Section.ANSWER)) {
            if (record.getType() == type && record.getDClass() == DClass.IN && record.getName().equals(owner)) {
                found.add(record);
            }
        }
        return found;
    }

    private static CNAMERecord alias(Message message, Name owner) {
        for (Record record : message.getSection(Section.ANSWER)) {
            if (record instanceof CNAMERecord cname && record.getName().equals(owner)) {
                return cname;
            }
        }
        return null;
    }

    private static SOARecord soa(Message message) {
        for (Record record : message.getSection(Section.AUTHORITY)) {
            if (record instanceof SOARecord soa) {
                return soa;
            }
        }
        return null;
    }

    /** RFC 2308 section 5: the smaller of the SOA's TTL and its minimum; 0 (not to be kept) without an SOA. */
    private static long negativeTtl(Message message) {
        SOARecord soa = soa(message);
        return soa == null ? 0 : Math.min(soa.getTTL(), soa.getMinimum());
    }

    static String label(InetSocketAddress server) {
        String host = server.getAddress().getHostAddress();
        return (server.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + server.getPort();
    }

    static String text(Duration duration) {
        long millis = duration.toMillis();
        return millis >= 1000 && millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    /**
     * At most {@link #MAX_RECORDS} records of one answer, MX records the most preferred first:
     * more than any real host or domain has, and a hostile answer's thousands would otherwise
     * fill the cache and make a route a scan of addresses the domain's owner chose.
     */
    static List<Record> bounded(List<Record> data) {
        if (data.size() <= MAX_RECORDS) {
            return data;
        }
        List<Record> kept = new ArrayList<>(data);
        if (kept.get(0) instanceof MXRecord) {
            kept.sort(Comparator.comparingInt(r -> ((MXRecord) r).getPriority()));
        }
        return List.copyOf(kept.subList(0, MAX_RECORDS));
    }
}
