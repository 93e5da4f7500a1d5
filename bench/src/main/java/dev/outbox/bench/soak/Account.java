package dev.outbox.bench.soak;

import dev.outbox.testing.smtp.Received;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The soak's final account: every accepted recipient's outcome as the peers saw it, and the
 * checks the soak passes or fails on. It owns nothing; it reads what the peers stored, what the
 * submitter was told, the kills the soak made and what the sampler read.
 *
 * <p>Per recipient of a message, it counts the copies the destination's server stored
 * (acknowledged, or dropped after the dot: such a copy is at the server, as RFC 1047 describes)
 * and the bounces that name it ({@code Final-Recipient} with {@code Action: failed} in a notice the
 * senders' server received, about the original with that message's Subject). Then an accepted
 * recipient is <i>delivered</i> (a copy acknowledged), <i>bounced</i> (a notice names it) or
 * <i>lost</i> (neither), and <i>duplicated</i> when it has more than one copy, or a copy and a
 * bounce; each copy past the first outcome is an extra copy.
 *
 * <p>Passes when: nothing is lost; the extra copies are at most the transfers in doubt at the
 * kills and peer stops plus the recipients dropped after the dot; no recipient is named by two
 * different notices (a notice generated twice) and a notice arrives twice only within the
 * transfers in doubt at the senders' server at the kills; no copy or notice names a recipient
 * nobody submitted; every notice goes to its original's sender with a null reverse path;
 * {@code OverdueRecipients} was never above 0; {@code StuckRecovered} summed over the server's
 * lives is 0 and the server log reports no repair; the store emptied; every kill was made;
 * nothing was refused and the harness met no error.
 */
final class Account {

    /** One kill -9: when (server up time), InFlight read just before, the transfers in doubt, and the restart's length. */
    record Kill(double upSeconds, long inFlightBefore, int inDoubt, int noticesInDoubt, double restartSeconds) {
    }

    /** What the soak saw besides the peers' mail. */
    record Run(String title, int kills, List<Kill> killsMade, int repairsLogged, long messageCountAtEnd, boolean drained,
               double seconds, double chaosSeconds, double drainSeconds, List<String> errors) {
    }

    /** Copies and bounces of one recipient of one message. */
    private static final class Outcome {
        int acknowledged;
        int dropped;
        final Set<String> notices = new HashSet<>();

        int copies() {
            return acknowledged + dropped;
        }

        /** Outcomes past the first: copies after one, and a bounce beside a copy. */
        int extra() {
            int outcomes = copies() + (notices.isEmpty() ? 0 : 1);
            return Math.max(0, outcomes - 1);
        }
    }

    private final List<String> lines = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();

    Account(SoakMail mail, Submitter submitter, List<Peer> destinations, Peer senders, Sampler sampler, Run run) {
        Map<Integer, Map<String, Outcome>> outcomes = new HashMap<>();
        Function<Integer, Map<String, Outcome>> of = n -> outcomes.computeIfAbsent(n, k -> new HashMap<>());
        int strayCopies = 0;
        int storedCopies = 0;
        for (Peer peer : destinations) {
            for (Received copy : peer.received()) {
                storedCopies++;
                OptionalInt n = mail.number(copy.header("Subject").orElse(null));
                if (n.isEmpty()) {
                    strayCopies++;
                    continue;
                }
                for (String recipient : copy.recipients()) {
                    Outcome outcome = of.apply(n.getAsInt()).computeIfAbsent(recipient.toLowerCase(Locale.ROOT), r -> new Outcome());
                    if (copy.acknowledged()) {
                        outcome.acknowledged++;
                    } else {
                        outcome.dropped++;
                    }
                }
            }
        }

        // The notices at the senders' server.
        Map<String, Integer> noticeCopies = new LinkedHashMap<>();
        int unreadable = 0;
        int misaddressed = 0;
        int notBounces = 0;
        int strayNotices = 0;
        for (Received received : senders.received()) {
            ReceivedBounce bounce;
            try {
                bounce = ReceivedBounce.of(received);
            } catch (IllegalArgumentException e) {
                unreadable++;
                if (unreadable <= 3) {
                    failures.add("unreadable mail at " + SoakMail.SENDERS_DOMAIN + ": " + e.getMessage());
                }
                continue;
            }
            noticeCopies.merge(bounce.noticeId(), 1, Integer::sum);
            OptionalInt n = mail.number(bounce.originalSubject());
            if (n.isEmpty()) {
                strayNotices++;
                continue;
            }
            if (!bounce.reversePath().startsWith("<>") || !bounce.to().equals(List.of(mail.sender(n.getAsInt())))) {
                misaddressed++;
            }
            if (!bounce.otherActions().isEmpty()) {
                notBounces++;
            }
            for (String recipient : bounce.failed()) {
                of.apply(n.getAsInt()).computeIfAbsent(recipient, r -> new Outcome()).notices.add(bounce.noticeId());
            }
        }
        int noticeExtraCopies = noticeCopies.values().stream().mapToInt(c -> c - 1).sum();

        // Every recipient of every message submitted.
        Map<Integer, String> accepted = submitter.accepted();
        int acceptedRecipients = 0;
        int delivered = 0;
        int bounced = 0;
        int deliveredAndBounced = 0;
        int lost = 0;
        int duplicated = 0;
        int extraCopies = 0;
        int generatedTwice = 0;
        List<String> lostExamples = new ArrayList<>();
        Set<Integer> known = new HashSet<>(accepted.keySet());
        known.addAll(submitter.unconfirmed());
        int unconfirmedRecipients = 0;
        int unconfirmedArrived = 0;
        for (int n : known) {
            Map<String, Outcome> byRecipient = outcomes.getOrDefault(n, Map.of());
            boolean owed = accepted.containsKey(n);
            for (String recipient : mail.recipients(n)) {
                Outcome outcome = byRecipient.getOrDefault(recipient, new Outcome());
                boolean isDelivered = outcome.acknowledged > 0;
                boolean isBounced = !outcome.notices.isEmpty();
                extraCopies += outcome.extra();
                duplicated += outcome.extra() > 0 ? 1 : 0;
                generatedTwice += outcome.notices.size() > 1 ? 1 : 0;
                if (!owed) {
                    unconfirmedRecipients++;
                    unconfirmedArrived += isDelivered || isBounced ? 1 : 0;
                    continue;
                }
                acceptedRecipients++;
                if (isDelivered && isBounced) {
                    deliveredAndBounced++;
                } else if (isDelivered) {
                    delivered++;
                } else if (isBounced) {
                    bounced++;
                } else {
                    lost++;
                    if (lostExamples.size() < 5) {
                        lostExamples.add(accepted.get(n) + " " + recipient + (outcome.dropped > 0 ? " (only a dropped copy)" : ""));
                    }
                }
            }
        }
        int strayRecipients = 0;
        for (Map.Entry<Integer, Map<String, Outcome>> entry : outcomes.entrySet()) {
            Set<String> submitted = known.contains(entry.getKey()) ? new HashSet<>(mail.recipients(entry.getKey())) : Set.of();
            for (String recipient : entry.getValue().keySet()) {
                strayRecipients += submitted.contains(recipient) ? 0 : 1;
            }
        }

        int inDoubtAtKills = run.killsMade().stream().mapToInt(Kill::inDoubt).sum();
        int noticesInDoubt = run.killsMade().stream().mapToInt(Kill::noticesInDoubt).sum();
        int inDoubtAtStops = destinations.stream().mapToInt(Peer::inDoubtAtStops).sum();
        int peerStops = destinations.stream().mapToInt(Peer::stops).sum();
        int droppedRecipients = destinations.stream().mapToInt(Peer::droppedRecipients).sum();
        int allowed = inDoubtAtKills + inDoubtAtStops + droppedRecipients;
        long stuck = sampler.summed("StuckRecovered");

        check(lost == 0, "lost " + lost + " (e.g. " + lostExamples + ")");
        check(extraCopies <= allowed, "extra copies " + extraCopies + " > allowed " + allowed);
        check(generatedTwice == 0, "recipients named by two different notices: " + generatedTwice);
        check(noticeExtraCopies <= noticesInDoubt, "notice copies twice " + noticeExtraCopies + " > in doubt " + noticesInDoubt);
        check(strayCopies + strayRecipients + strayNotices == 0,
                "stray: " + strayCopies + " copies, " + strayRecipients + " recipients, " + strayNotices + " notices");
        check(unreadable + misaddressed + notBounces == 0,
                "notices unreadable " + unreadable + ", misaddressed " + misaddressed + ", not bounces " + notBounces);
        check(sampler.maxOverdue() == 0, "OverdueRecipients reached " + sampler.maxOverdue() + ": " + sampler.overdueSightings());
        check(stuck == 0 && run.repairsLogged() == 0, "StuckRecovered " + stuck + ", repairs logged " + run.repairsLogged());
        check(run.drained() && run.messageCountAtEnd() == 0, "the store did not empty: MessageCount " + run.messageCountAtEnd());
        check(run.killsMade().size() == run.kills(), "kills made " + run.killsMade().size() + " of " + run.kills());
        check(submitter.refused().isEmpty(), "refused submits " + submitter.refused().size() + ", e.g. "
                + submitter.refused().entrySet().stream().limit(3).map(e -> e.getKey() + ": " + e.getValue()).toList());
        check(run.errors().isEmpty(), "harness errors " + run.errors());
        check(sampler.samples() > 0, "the sampler read nothing");

        int messages = accepted.size() + submitter.unconfirmed().size() + submitter.refused().size();
        String killTimes = run.killsMade().stream().map(k -> fmt("%.0f s (InFlight %d, in doubt %d+%d, restart %.0f s)",
                k.upSeconds(), k.inFlightBefore(), k.inDoubt(), k.noticesInDoubt(), k.restartSeconds())).collect(Collectors.joining("; "));
        lines.add("Chaos soak account: " + run.title());
        row("messages submitted", fmt("%,d: accepted %,d, unconfirmed %,d (the answer cut off by a kill), refused %,d; %,d sent again"
                + " (connection refused, or not deployed yet)", messages, accepted.size(), submitter.unconfirmed().size(),
                submitter.refused().size(), submitter.resent()));
        row("accepted recipients", fmt("%,d", acceptedRecipients));
        row("delivered", fmt("%,d  (a copy acknowledged by the destination's server)", delivered + deliveredAndBounced));
        row("bounced with a DSN", fmt("%,d  (a notice at the sender's server names it, Action: failed)", bounced + deliveredAndBounced));
        row("  of them both", fmt("%,d  (delivered and bounced: counted below as duplicates)", deliveredAndBounced));
        row("lost", fmt("%,d  (neither; must be 0)", lost));
        row("duplicates", fmt("%,d recipients, %,d extra copies; allowed %,d = %,d in doubt at %d kills + %,d in doubt at %d peer stops"
                + " + %,d dropped after the dot", duplicated, extraCopies, allowed, inDoubtAtKills, run.killsMade().size(),
                inDoubtAtStops, peerStops, droppedRecipients));
        row("DSNs", fmt("%,d copies received, %,d distinct; recipients named by two notices %d (must be 0); copies twice %d"
                + " (allowed %d in doubt at the kills)", noticeCopies.values().stream().mapToInt(Integer::intValue).sum(),
                noticeCopies.size(), generatedTwice, noticeExtraCopies, noticesInDoubt));
        row("unconfirmed submits", fmt("%,d recipients, %,d of them delivered or bounced (either way is right)",
                unconfirmedRecipients, unconfirmedArrived));
        row("copies stored", fmt("%,d at the destinations; stray %d copies, %d recipients, %d notices (must be 0)",
                storedCopies, strayCopies, strayRecipients, strayNotices));
        row("OverdueRecipients", fmt("max %d (must be 0) over %,d samples a second apart (longest gap while up %.1f s; %d reads"
                + " failed, while the server started or was killed)", sampler.maxOverdue(), sampler.samples(), sampler.longestGapSeconds(), sampler.failedReads()));
        if (!sampler.longGaps().isEmpty()) {
            row("  sampler gaps", sampler.longGaps().toString());
        }
        row("queue states read", sampler.statesSeen() + " (queue-samples)");
        row("StuckRecovered", fmt("%d summed over %d lives %s; sweep repairs in server.log %d (must be 0)", stuck,
                sampler.byLife("StuckRecovered").size(), sampler.byLife("StuckRecovered"), run.repairsLogged()));
        row("Outbox's counters", fmt("summed over lives: Delivered %,d, Bounced %,d, Expired %,d, BounceNotices %,d (each life's last"
                        + " reading, up to a second before its kill)", sampler.summed("Delivered"), sampler.summed("Bounced"),
                sampler.summed("Expired"), sampler.summed("BounceNotices")));
        row("store at the end", fmt("MessageCount %d%s", run.messageCountAtEnd(), run.drained() ? "" : " (did not empty in time)"));
        row("kills", fmt("%d of %d, at up time %s", run.killsMade().size(), run.kills(), killTimes.isEmpty() ? "-" : killTimes));
        for (Peer peer : destinations) {
            row("peer " + peer.domain(), faults(peer));
        }
        row("took", fmt("%.0f s: chaos %.0f s, drain %.0f s after it", run.seconds(), run.chaosSeconds(), run.drainSeconds()));
        lines.add(failures.isEmpty() ? "RESULT: PASS (every count as required)" : "RESULT: FAIL: " + String.join("; ", failures));
    }

    List<String> lines() {
        return List.copyOf(lines);
    }

    boolean passed() {
        return failures.isEmpty();
    }

    private void check(boolean holds, String failure) {
        if (!holds) {
            failures.add(failure);
        }
    }

    private void row(String name, String value) {
        lines.add(String.format(Locale.ROOT, "  %-20s %s", name, value));
    }

    private static String faults(Peer peer) {
        StringBuilder text = new StringBuilder(fmt("%d stops, %,d stored; faults:", peer.stops(), peer.received().size()));
        for (PeerScript.Fault fault : PeerScript.Fault.values()) {
            if (fault != PeerScript.Fault.NONE) {
                text.append(' ').append(fault.name().toLowerCase(Locale.ROOT).replace('_', '-')).append(' ').append(peer.count(fault));
            }
        }
        return text.toString();
    }

    private static String fmt(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }
}
