package dev.outbox.dsn;

import dev.outbox.api.RecipientState;
import dev.outbox.queue.Notice;
import dev.outbox.queue.NoticeComposer;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The queue's notices as RFC 3464 delivery status notifications: maps each reported recipient
 * to its Action, RFC 3463 status, Remote-MTA and Diagnostic-Code, finds the original's
 * Message-ID, and has {@link DeliveryStatusNotice} write the report.
 *
 * <p>Statuses: a bounce takes the enhanced code of the remote reply (5.0.0 when it had none);
 * an expiry is 5.4.7; a deletion by an operator 5.0.0 with Outbox's reason; a delay the 4.x.x of
 * the last reply, or 4.4.1 (no answer) when no host replied. Thread-safe.
 */
public final class DsnComposer implements NoticeComposer {

    private final DeliveryStatusNotice notice;
    private final DeliveryStatusNotice.Return returned;

    /**
     * @param notice   writes the reports (reporting MTA, From, return limit)
     * @param returned the original's header only, or the whole original when small enough
     */
    public DsnComposer(DeliveryStatusNotice notice, DeliveryStatusNotice.Return returned) {
        this.notice = notice;
        this.returned = returned;
    }

    @Override
    public byte[] compose(Notice about, byte[] original) {
        List<RecipientStatus> recipients = new ArrayList<>(about.recipients().size());
        for (Notice.Recipient r : about.recipients()) {
            recipients.add(about.kind() == Notice.Kind.FAILED ? failed(r) : delayed(r, about.expiryMillis()));
        }
        DeliveryStatusNotice.Original message = new DeliveryStatusNotice.Original(about.envelopeSender(), messageId(original), original,
                Instant.ofEpochMilli(about.arrivalMillis()));
        return notice.compose(message, recipients, returned, Instant.now());
    }

    private static RecipientStatus failed(Notice.Recipient r) {
        EnhancedStatus status;
        if (r.state() == RecipientState.EXPIRED) {
            status = EnhancedStatus.EXPIRED;
        } else if (r.state() == RecipientState.DELETED) {
            status = new EnhancedStatus(5, 0, 0);
        } else {
            status = EnhancedStatus.of(r.replyCode() >= 500 ? r.replyCode() : 550, r.reply());
        }
        return RecipientStatus.failed(r.address(), status, host(r), diagnostic(r), lastAttempt(r));
    }

    private static RecipientStatus delayed(Notice.Recipient r, long expiryMillis) {
        EnhancedStatus status = r.replyCode() >= 400 && r.replyCode() < 500 ? EnhancedStatus.of(r.replyCode(), r.reply())
                : EnhancedStatus.NO_ANSWER;
        return RecipientStatus.delayed(r.address(), status, host(r), diagnostic(r), lastAttempt(r), Instant.ofEpochMilli(expiryMillis));
    }

    /**
     * The host that replied, only when a reply came from it: a connection failure names no
     * Remote-MTA. A host known only by its address (a smarthost set as one) is written as an
     * address literal, {@code [192.0.2.1]} or {@code [IPv6:2001:db8::1]}, as RFC 5321 writes
     * addresses where a name would stand.
     */
    static String host(Notice.Recipient r) {
        if (r.replyCode() <= 0 || r.remoteHost().isEmpty()) {
            return null;
        }
        String host = r.remoteHost();
        if (host.startsWith("[")) {
            return host;
        }
        if (host.indexOf(':') >= 0) {
            return "[IPv6:" + host + "]";
        }
        return IPV4.matcher(host).matches() ? "[" + host + "]" : host;
    }

    private static final java.util.regex.Pattern IPV4 = java.util.regex.Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");

    private static String diagnostic(Notice.Recipient r) {
        return r.reply() == null || r.reply().isBlank() ? null : r.reply();
    }

    private static Instant lastAttempt(Notice.Recipient r) {
        return r.lastAttemptMillis() > 0 ? Instant.ofEpochMilli(r.lastAttemptMillis()) : null;
    }

    /** The original's Message-ID field value (unfolded), or null when its header has none. */
    static String messageId(byte[] content) {
        String header = new String(DeliveryStatusNotice.headerSection(content), StandardCharsets.ISO_8859_1);
        String[] lines = header.split("\r?\n");
        for (int i = 0; i < lines.length; i++) {
            if (lines[i].toLowerCase(Locale.ROOT).startsWith("message-id:")) {
                StringBuilder value = new StringBuilder(lines[i].substring("message-id:".length()));
                while (i + 1 < lines.length && !lines[i + 1].isEmpty() && (lines[i + 1].charAt(0) == ' ' || lines[i + 1].charAt(0) == '\t')) {
                    value.append(' ').append(lines[++i].strip());
                }
                String id = value.toString().strip();
                return id.isEmpty() ? null : id;
            }
        }
        return null;
    }
}
