package dev.outbox.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one variant of the delivery lane queues before a drain, the same for every contender:
 * {@code messages} messages of {@code bytes} bytes, each with {@code recipients} recipients in
 * one domain, the messages spread evenly over {@code destinations} domains (the first
 * {@code messages % destinations} domains get one more).
 *
 * <p>Each domain is a {@link Site}: one destination is {@value #DOMAIN}, its server the sink on
 * 127.0.0.1 (a smarthost, or routed by MX); several are {@code d1.bench.example},
 * {@code d2.bench.example}, ..., each with its own MX host and its own sink on 127.0.1.1,
 * 127.0.1.2, ..., so that Outbox (routing by MX) and Postfix (a {@code transport_maps} entry per
 * domain) both keep one queue per domain and connect to as many servers. Recipients are
 * {@code bench@DOMAIN} alone, or {@code 1bench@DOMAIN} ... {@code 10bench@DOMAIN}, as
 * {@code smtp-source -r} names them.
 *
 * <p>{@link #parse} reads a variant as {@code DESTINATIONSxRECIPIENTS} ("100x10"). Immutable.
 * Misuse: counts out of range throw {@link IllegalArgumentException} naming the range.
 *
 * @param messages     messages queued
 * @param bytes        content size of each, as the engine stores it
 * @param recipients   recipients of each message, all in its one domain
 * @param destinations domains the messages are spread over
 */
record DeliveryBacklog(int messages, int bytes, int recipients, int destinations) {

    static final String DOMAIN = "bench.example";
    /** Postfix delivers at most 50 recipients of a message in one transaction by default; more would change what is compared. */
    static final int MAX_RECIPIENTS = 50;
    /** Sinks take 127.0.1.1 ... 127.0.1.250. */
    static final int MAX_DESTINATIONS = 250;

    /**
     * One destination: its domain, the MX host the test DNS names for it, and the loopback
     * address of its sink (also the A record of that MX host).
     */
    record Site(String domain, String mxHost, String address) {
    }

    DeliveryBacklog {
        if (recipients < 1 || recipients > MAX_RECIPIENTS) {
            throw new IllegalArgumentException("recipients per message " + recipients + " is outside 1.." + MAX_RECIPIENTS);
        }
        if (destinations < 1 || destinations > MAX_DESTINATIONS) {
            throw new IllegalArgumentException("destinations " + destinations + " is outside 1.." + MAX_DESTINATIONS);
        }
        if (messages < destinations) {
            throw new IllegalArgumentException(messages + " messages cannot reach " + destinations + " destinations");
        }
    }

    /** "100x10": 100 destinations, 10 recipients a message. */
    static DeliveryBacklog parse(String variant, int messages, int bytes) {
        String[] parts = variant.toLowerCase(Locale.ROOT).split("x");
        if (parts.length != 2) {
            throw new IllegalArgumentException("'" + variant + "' is not DESTINATIONSxRECIPIENTS, as in 100x10");
        }
        try {
            return new DeliveryBacklog(messages, bytes, Integer.parseInt(parts[1]), Integer.parseInt(parts[0]));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + variant + "' is not DESTINATIONSxRECIPIENTS, as in 100x10", e);
        }
    }

    /** "100x10". */
    String key() {
        return destinations + "x" + recipients;
    }

    /** "100 destinations, 10 recipients a message". */
    String title() {
        return String.format(Locale.ROOT, "%d destination%s, %d recipient%s a message", destinations, destinations == 1 ? "" : "s",
                recipients, recipients == 1 ? "" : "s");
    }

    List<Site> sites() {
        List<Site> sites = new ArrayList<>(destinations);
        if (destinations == 1) {
            sites.add(new Site(DOMAIN, "mx." + DOMAIN, "127.0.0.1"));
            return sites;
        }
        for (int k = 1; k <= destinations; k++) {
            sites.add(new Site("d" + k + "." + DOMAIN, "mx" + k + "." + DOMAIN, "127.0.1." + k));
        }
        return sites;
    }

    /** Messages to the site at {@code index} (0-based) of {@link #sites()}. */
    int messagesTo(int index) {
        return messages / destinations + (index < messages % destinations ? 1 : 0);
    }

    /** The recipients of each message to {@code site}. */
    List<String> recipientsAt(Site site) {
        if (recipients == 1) {
            return List.of("bench@" + site.domain());
        }
        List<String> all = new ArrayList<>(recipients);
        for (int r = 1; r <= recipients; r++) {
            all.add(r + "bench@" + site.domain());
        }
        return all;
    }

    /** Recipients delivered when the whole backlog is. */
    long deliveries() {
        return (long) messages * recipients;
    }
}
