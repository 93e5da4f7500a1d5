package dev.outbox.cli;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/**
 * The default output, for people: aligned tables ({@link Table}) whose times are relative to now
 * ("in 1m05s", "12s ago"), ages compact ("3h05m"), "-" for nothing, "&lt;&gt;" for the null sender;
 * a page that is not the whole list says how to get the next one. Text from the server passes
 * {@link Table#printable} before it reaches the terminal. Times are relative to the given clock.
 * Stateless apart from the clock.
 */
final class TextReport implements Report {

    private static final String NONE = "-";

    private final Clock clock;

    TextReport(Clock clock) {
        this.clock = clock;
    }

    @Override
    public String queues(List<QueueSummary> queues) {
        if (queues.isEmpty()) {
            return "no transfer queues (a queue appears with its first message)\n";
        }
        Table table = new Table("DESTINATION", "STATE", "MESSAGES", "OLDEST", "NEXT RETRY", "LAST ERROR").alignRight(2);
        for (QueueSummary q : queues) {
            table.row(q.destination(), q.state(), q.messageCount(), q.messageCount() == 0 ? NONE : age(q.oldestMessageAgeSeconds()),
                    when(q.nextRetryTime()), orNone(q.lastError()));
        }
        return table.render();
    }

    @Override
    public String messages(QueueSummary queue, int offset, int limit, List<MessageSummary> page) {
        String where = "queue " + Table.printable(queue.destination());
        if (page.isEmpty()) {
            return offset == 0 ? "no messages in " + where + "\n"
                    : "no messages past " + offset + " in " + where + " (it holds " + queue.messageCount() + ")\n";
        }
        StringBuilder text = new StringBuilder(summaries(page));
        int last = offset + page.size();
        int total = Math.max(last, queue.messageCount()); // the count was read just before the page: mail comes and goes
        text.append(where).append(": messages ").append(offset + 1).append('-').append(last).append(" of ").append(total);
        if (last < total) {
            text.append("; next page: --offset ").append(last);
        }
        return text.append('\n').toString();
    }

    @Override
    public String found(String query, int offset, int limit, List<MessageSummary> page) {
        String matching = query.isEmpty() ? "live messages" : "live messages matching " + Json.quote(query);
        if (page.isEmpty()) {
            return "no " + matching + (offset == 0 ? "" : " past " + offset) + "\n";
        }
        StringBuilder text = new StringBuilder(summaries(page));
        text.append(matching).append(": ").append(offset + 1).append('-').append(offset + page.size());
        if (page.size() == limit) {
            text.append("; more may follow: --offset ").append(offset + page.size());
        }
        return text.append('\n').toString();
    }

    @Override
    public String message(MessageDetail m) {
        StringBuilder text = new StringBuilder();
        Table envelope = Table.unheaded(2);
        envelope.row("Message", m.id());
        envelope.row("Sender", sender(m.sender()));
        envelope.row("Submitted", instant(m.submitTime()));
        envelope.row("Expires", instant(m.expiryTime()));
        envelope.row("Size", m.sizeBytes() + " bytes");
        text.append(envelope.render()).append('\n');
        Table recipients = new Table("RECIPIENT", "DESTINATION", "STATE", "DUE", "ATTEMPTS", "LAST REPLY").alignRight(4);
        for (MessageDetail.Recipient r : m.recipients()) {
            recipients.row(r.address(), r.destination(), r.state(), when(r.dueTime()), r.attempts(), orNone(r.lastReply()));
        }
        text.append(recipients.render()).append('\n').append("HEADERS\n");
        for (String line : m.headers().split("\r?\n")) {
            if (!line.isEmpty()) {
                text.append("  ").append(Table.printable(line)).append('\n');
            }
        }
        return text.toString();
    }

    @Override
    public String status(ManagerStatus s) {
        Table table = Table.unheaded(2);
        table.row("Outbox", s.paused() ? "paused (no new connections until resume)" : "running");
        table.row("Messages", s.messageCount());
        table.row("Store size", s.storeSizeBytes() + " bytes");
        table.row("Recipients now", "queued " + s.queued() + ", in flight " + s.inFlight() + ", deferred " + s.deferred()
                + ", frozen " + s.frozen());
        table.row("Overdue now", s.overdueRecipients() + (s.overdueRecipients() == 0 ? "" : " (should be 0: the sweep repairs them)"));
        table.row("Since start", "delivered " + s.delivered() + ", bounced " + s.bounced() + ", expired " + s.expired()
                + ", deleted " + s.deleted() + ", deferrals " + s.deferrals());
        table.row("Notices", "bounces " + s.bounceNotices() + ", delay notices " + s.delayNotices()
                + ", withheld " + s.noticesWithheld() + " (null sender)");
        table.row("Stuck recovered", s.stuckRecovered() + (s.stuckRecovered() == 0 ? "" : " (should be 0: see the server log)"));
        table.row("Retry schedule", orNone(s.retrySchedule()));
        table.row("Max message age", orNone(s.maxMessageAge()));
        return table.render();
    }

    @Override
    public String outcome(Outcome o) {
        String subject = o.subject() == null ? "" : Table.printable(o.subject());
        String count = o.recipients() == null ? "" : recipients(o.recipients());
        String text = switch (o.command()) {
            case FREEZE -> "froze " + count + " of message " + subject;
            case UNFREEZE -> "unfroze " + count + " of message " + subject;
            case RETRY -> "message " + subject + ": " + count + " due now";
            case DELETE -> "deleted " + count + " of message " + subject;
            case FREEZE_QUEUE, UNFREEZE_QUEUE -> "queue " + subject + " is " + o.queueState();
            case RETRY_QUEUE -> "queue " + subject + ": " + count + " due now"
                    + ("FROZEN".equals(o.queueState()) ? " (the queue is FROZEN: unfreeze-queue first)" : "");
            case DELETE_ALL -> "deleted " + count + " in queue " + subject;
            case PAUSE, RESUME -> Boolean.TRUE.equals(o.paused()) ? "Outbox is paused: no new connections until resume"
                    : "Outbox is running";
            case RETRY_ALL -> count + " due now";
            default -> o.command().word() + " done";
        };
        return text + "\n";
    }

    private String summaries(List<MessageSummary> page) {
        Table table = new Table("ID", "AGE", "SIZE", "SENDER", "RCPTS", "NEXT RETRY", "STATES").alignRight(1, 2, 4);
        for (MessageSummary m : page) {
            table.row(m.id(), since(m.submitTime()), m.sizeBytes(), sender(m.sender()), m.recipients(), when(m.nextRetryTime()),
                    orNone(m.states()));
        }
        return table.render();
    }

    /** An ISO instant as "in 1m05s", "12s ago" or "now"; "-" for none; as sent when it is no instant. */
    String when(String iso) {
        Instant at = parse(iso);
        if (at == null) {
            return iso.isEmpty() ? NONE : iso;
        }
        long seconds = Duration.between(clock.instant(), at).toSeconds();
        return seconds == 0 ? "now" : seconds > 0 ? "in " + age(seconds) : age(-seconds) + " ago";
    }

    /** How long ago an ISO instant was, as an age ("3h05m"); "-" for none. */
    private String since(String iso) {
        Instant at = parse(iso);
        return at == null ? (iso.isEmpty() ? NONE : iso) : age(Math.max(0, Duration.between(at, clock.instant()).toSeconds()));
    }

    /** An ISO instant to the second, with how far from now: "2026-12-06T13:41:05Z (in 4m)". */
    private String instant(String iso) {
        Instant at = parse(iso);
        return at == null ? (iso.isEmpty() ? NONE : iso) : at.truncatedTo(ChronoUnit.SECONDS) + " (" + when(iso) + ")";
    }

    /** Seconds as the two largest units: 42s, 1m05s, 3h05m, 2d04h. */
    static String age(long seconds) {
        if (seconds < 60) {
            return seconds + "s";
        }
        long minutes = seconds / 60;
        if (minutes < 60) {
            return String.format(Locale.ROOT, "%dm%02ds", minutes, seconds % 60);
        }
        long hours = minutes / 60;
        if (hours < 24) {
            return String.format(Locale.ROOT, "%dh%02dm", hours, minutes % 60);
        }
        return String.format(Locale.ROOT, "%dd%02dh", hours / 24, hours % 24);
    }

    private static String recipients(int count) {
        return count == 1 ? "1 recipient" : count + " recipients";
    }

    private static String sender(String sender) {
        return sender.isEmpty() ? "<>" : sender;
    }

    private static String orNone(String text) {
        return text == null || text.isBlank() ? NONE : text;
    }

    private static Instant parse(String iso) {
        if (iso == null || iso.isEmpty()) {
            return null;
        }
        try {
            return Instant.parse(iso);
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
