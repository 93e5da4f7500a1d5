package dev.outbox.queue;

import java.util.ArrayList;
import java.util.List;

/**
 * What one delivery attempt did for one recipient, classified once from the SMTP reply code
 * by the delivery layer: the queue acts on {@link Status}, never on reply text.
 *
 * @param recipient the RCPT TO address
 * @param status    delivered, deferred (try again later) or failed (permanently)
 * @param replyCode the SMTP reply code that decided it, or 0 when no reply was had (the
 *                  connection could not be made or broke)
 * @param reply     the server's reply, or a description of the network failure, for logs,
 *                  operators and bounces; kept as one printable line (see {@link ReplyText})
 */
public record RecipientOutcome(String recipient, Status status, int replyCode, String reply) {

    /** The three ways an attempt ends for a recipient. */
    public enum Status {
        /** The next hop accepted responsibility (250 after DATA). */
        DELIVERED,
        /** A temporary failure: a 4xx reply, a timeout or a broken connection. */
        DEFERRED,
        /** A permanent failure: a 5xx reply. */
        FAILED
    }

    public RecipientOutcome {
        reply = ReplyText.oneLine(reply); // remote text: never a raw line break in a log, an MBean or a bounce
    }

    /** The same outcome for each of {@code recipients}: an attempt that ended alike for all. */
    public static List<RecipientOutcome> all(List<String> recipients, Status status, int replyCode, String reply) {
        List<RecipientOutcome> outcomes = new ArrayList<>(recipients.size());
        for (String recipient : recipients) {
            outcomes.add(new RecipientOutcome(recipient, status, replyCode, reply));
        }
        return outcomes;
    }
}
