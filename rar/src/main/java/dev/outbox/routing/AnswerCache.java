package dev.outbox.routing;

import org.xbill.DNS.Name;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The answers an {@link MxResolver} remembers, one per question (name and type), each until its
 * TTL runs out on the {@link Clock} it was given: records for their smallest TTL, negative
 * answers (NXDOMAIN, NODATA) for the TTL their SOA allows (RFC 2308), each capped by the
 * settings' maximum. Failures and answers with TTL 0 are never kept.
 *
 * <ul>
 * <li>{@link #get(Name, int)}: the answer while it is fresh, else null (an expired one is
 *     dropped then).</li>
 * <li>{@link #put(Answer)}: remembers it, replacing an older answer to the same question; when
 *     the cache is full, the answer used least recently goes.</li>
 * <li>{@link #size()}: how many answers it holds, expired ones included until they are met.</li>
 * </ul>
 *
 * <p>Memory: at most {@code maxEntries} answers, each no larger than one DNS message. A cache of
 * {@code maxEntries} 0 keeps nothing.
 *
 * <p>Threading: every method may be called from any thread; one lock guards the map, held only
 * for the map operation (never during a query).
 */
final class AnswerCache {

    private record Question(Name name, int type) {
    }

    private record Entry(Answer answer, Instant expires) {
    }

    private final Clock clock;
    private final int maxEntries;
    private final long maxTtlSeconds;
    private final long maxNegativeTtlSeconds;
    /** In access order, so the eldest entry is the least recently used. Guarded by itself. */
    private final Map<Question, Entry> entries;

    AnswerCache(Clock clock, int maxEntries, Duration maxTtl, Duration maxNegativeTtl) {
        this.clock = clock;
        this.maxEntries = maxEntries;
        this.maxTtlSeconds = maxTtl.toSeconds();
        this.maxNegativeTtlSeconds = maxNegativeTtl.toSeconds();
        this.entries = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Question, Entry> eldest) {
                return size() > AnswerCache.this.maxEntries;
            }
        };
    }

    /** The fresh answer to {@code name}/{@code type}, or null. */
    Answer get(Name name, int type) {
        Question question = new Question(name, type);
        Instant now = clock.instant();
        synchronized (entries) {
            Entry entry = entries.get(question);
            if (entry == null) {
                return null;
            }
            if (!now.isBefore(entry.expires())) {
                entries.remove(question);
                return null;
            }
            return entry.answer();
        }
    }

    /** Remembers {@code answer} for its TTL, capped; does nothing for a failure or a TTL of 0. */
    void put(Answer answer) {
        long ttl = 0;
        if (answer instanceof Answer.Found found) {
            ttl = Math.min(found.ttlSeconds(), maxTtlSeconds);
        } else if (answer instanceof Answer.NoSuchDomain nxdomain) {
            ttl = Math.min(nxdomain.ttlSeconds(), maxNegativeTtlSeconds);
        } else if (answer instanceof Answer.NoData nodata) {
            ttl = Math.min(nodata.ttlSeconds(), maxNegativeTtlSeconds);
        }
        if (ttl <= 0 || maxEntries == 0) {
            return;
        }
        Entry entry = new Entry(answer, clock.instant().plusSeconds(ttl));
        synchronized (entries) {
            entries.put(new Question(answer.name(), answer.type()), entry);
        }
    }

    int size() {
        synchronized (entries) {
            return entries.size();
        }
    }
}
