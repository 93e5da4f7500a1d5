package dev.outbox.management;

import dev.outbox.api.RecipientState;
import dev.outbox.queue.MessageSnapshot;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Turns the engine's snapshots into the open-type values the MXBeans return, and times into
 * the ISO-8601 text they show. Stateless.
 */
final class Views {

    private Views() {
    }

    /** {@code millis} as an ISO-8601 instant in UTC, or "" for none (0 or less, or Long.MAX_VALUE). */
    static String time(long millis) {
        return millis <= 0 || millis == Long.MAX_VALUE ? "" : Instant.ofEpochMilli(millis).toString();
    }

    static MessageSummary summary(MessageSnapshot message) {
        Map<RecipientState, Integer> counts = new EnumMap<>(RecipientState.class);
        for (MessageSnapshot.Recipient recipient : message.recipients()) {
            counts.merge(recipient.state(), 1, Integer::sum);
        }
        StringJoiner states = new StringJoiner(", ");
        counts.forEach((state, count) -> states.add(state + " " + count));
        return new MessageSummary(message.id(), message.reversePath(), time(message.submitMillis()), message.sizeBytes(),
                message.recipients().size(), (int) message.unfinished(), states.toString(), time(message.nextDueMillis()));
    }

    static MessageSummary[] summaries(Iterable<MessageSnapshot> messages) {
        List<MessageSummary> all = new ArrayList<>();
        for (MessageSnapshot message : messages) {
            all.add(summary(message));
        }
        return all.toArray(MessageSummary[]::new);
    }

    static MessageDetail detail(MessageSnapshot message, String headers) {
        RecipientDetail[] recipients = message.recipients().stream()
                .map(r -> new RecipientDetail(r.address(), r.destination(), r.state().name(), time(r.dueMillis()), r.attempts(),
                        r.lastReply()))
                .toArray(RecipientDetail[]::new);
        return new MessageDetail(message.id(), message.reversePath(), time(message.submitMillis()), time(message.expiryMillis()),
                message.sizeBytes(), headers, recipients);
    }
}
