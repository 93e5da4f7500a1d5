package dev.outbox.delivery;

import dev.outbox.delivery.SmtpWire.Reply;
import dev.outbox.queue.RecipientOutcome;
import dev.outbox.queue.RecipientOutcome.Status;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * One SMTP mail transaction (RFC 5321 3.3): MAIL, a RCPT for each recipient, DATA, the message,
 * and the reply to its end, with an outcome for each recipient from the reply codes alone.
 *
 * <p>When the server offers PIPELINING (RFC 2920), MAIL, every RCPT and DATA go out in one
 * write and their replies are read after it, and the message and its ending dot in another: two
 * round trips a message instead of three plus one a recipient. Round trips are what a delivery
 * thread spends most of its time waiting in, and each costs both ends a wake-up (the bench's
 * delivery profile, issue 19). Without PIPELINING each command waits for its reply, and DATA is
 * not sent when no recipient was accepted. A group is at most what the socket's send buffer holds
 * ({@link SmtpWire#window()}): with more recipients the replies so far are read before more is
 * written, as Postfix does. A server answers as it reads and stops reading while its replies
 * cannot be written; a client that wrote more than its own buffer holds before reading any
 * reply would block in that write until the write timeout, at every retry (the deadlock RFC
 * 2920 warns of); what fits in the send buffer is written whatever the server does.
 *
 * <p>A recipient is delivered only when the server answered the end of the data with 2xx. One
 * refused at RCPT keeps that reply (552 there is temporary: RFC 5321 4.5.3.1.10); the others
 * share the reply to MAIL, DATA or the data's end, 5xx failing them and anything else deferring
 * them; when the connection breaks (no reply, EOF, a reply that is no reply) those not yet
 * refused are deferred with reply code 0. A DATA answered 354 with nothing to send (MAIL or
 * every RCPT refused, found out only after the pipelined group) is ended with a lone dot, as
 * RFC 2920 3.1 says. A transaction that ended before its data's reply is followed by RSET, so
 * the next one starts clean; a failed RSET leaves the connection {@link #leftBroken() broken}, and
 * so does a reply waiting before MAIL was sent, which no command asked for (every recipient is
 * then deferred, nothing sent).
 *
 * <p>The caller's work for the wait ({@code meanwhile}: recording the message before, whose
 * durable write would otherwise wait a round trip of its own) runs once the first commands are
 * written, before the first reply is read: always before any data of this message goes out.
 *
 * <p>Single use, one thread.
 */
final class MailTransaction {

    private static final int DATA_GO_AHEAD = 354;

    private final SmtpWire wire;
    private final boolean pipelining;
    private Reply mail;
    private Reply[] rcpt;
    /** Pipelining: how many RCPT replies were read so far. */
    private int rcptRead;
    private Reply data;
    private Reply end;
    private boolean leftBroken;
    private Once meanwhile;

    MailTransaction(SmtpWire wire, boolean pipelining) {
        this.wire = wire;
        this.pipelining = pipelining;
    }

    /**
     * Runs the transaction: {@code mailCommand} ("MAIL FROM:&lt;...&gt;" and any parameters),
     * then the recipients, then {@code content}. Returns one outcome per recipient, in order.
     * Runs {@code meanwhile} after the first commands are written and before their replies are
     * read, so before any data goes out (the caller runs it when no reply was read); what it
     * throws is thrown, the transaction left as it was.
     */
    List<RecipientOutcome> send(String mailCommand, List<String> recipients, byte[] content, Once meanwhile) {
        this.meanwhile = meanwhile;
        rcpt = new Reply[recipients.size()];
        try {
            if (wire.hasUnreadInput()) {
                // A stray reply (one command answered twice, a reply no command asked for) would be
                // taken for MAIL's, and every later one for the command before: a stale 550 would bounce.
                throw new IOException("the server sent a reply no command asked for: its replies are out of step");
            }
            exchange(mailCommand, recipients, content);
        } catch (IOException e) {
            leftBroken = true;
            return outcomes(recipients, SmtpSession.describe(e));
        }
        if (end == null) { // refused before the data: the server may still hold MAIL or RCPTs
            reset();
        }
        return outcomes(recipients, null);
    }

    /** True when the connection may not carry another transaction: a reply went missing, or RSET failed. */
    boolean leftBroken() {
        return leftBroken;
    }

    private void exchange(String mailCommand, List<String> recipients, byte[] content) throws IOException {
        wire.command(mailCommand);
        int window = pipelining ? wire.window() : 0;
        int unread = mailCommand.length() + 2; // pipelining: bytes of the commands whose replies are not read yet
        if (!pipelining) {
            wire.flush();
            mail = read();
            if (!mail.positive()) {
                return;
            }
        }
        for (int i = 0; i < rcpt.length; i++) {
            String command = "RCPT TO:<" + recipients.get(i) + ">";
            if (pipelining && unread + command.length() + 2 + "DATA\r\n".length() > window) {
                wire.flush(); // the group so far, then its replies: what is unread never outgrows the send buffer
                readPipelined(i);
                unread = 0;
            }
            wire.command(command);
            unread += command.length() + 2;
            if (!pipelining) {
                wire.flush();
                rcpt[i] = read();
            }
        }
        if (!pipelining && !anyAccepted()) {
            return;
        }
        wire.command("DATA");
        wire.flush();
        if (pipelining) {
            readPipelined(rcpt.length);
        }
        data = read();
        boolean wanted = mail.positive() && anyAccepted();
        if (data.code() != DATA_GO_AHEAD) {
            return;
        }
        wire.data(wanted ? content : new byte[0]);
        wire.flush();
        Reply reply = read();
        if (wanted) {
            end = reply;
        }
    }

    /** Pipelining: reads MAIL's reply if not read yet, then the RCPT replies up to recipient {@code upTo} (exclusive). */
    private void readPipelined(int upTo) throws IOException {
        if (mail == null) {
            mail = read();
        }
        while (rcptRead < upTo) {
            rcpt[rcptRead++] = read();
        }
    }

    /** The next reply; first, once, the caller's work meanwhile, now that commands are on their way. */
    private Reply read() throws IOException {
        meanwhile.run();
        return wire.read();
    }

    private boolean anyAccepted() {
        for (Reply reply : rcpt) {
            if (reply.positive()) {
                return true;
            }
        }
        return false;
    }

    /** RSET after a transaction that ended early; the connection is broken when that fails. */
    private void reset() {
        try {
            wire.command("RSET");
            wire.flush();
            if (!wire.read().positive()) {
                leftBroken = true;
            }
        } catch (IOException e) {
            leftBroken = true;
        }
    }

    /** Each recipient's outcome from the replies read; {@code failure} for those the replies left open. */
    private List<RecipientOutcome> outcomes(List<String> recipients, String failure) {
        List<RecipientOutcome> outcomes = new ArrayList<>(recipients.size());
        for (int i = 0; i < recipients.size(); i++) {
            String recipient = recipients.get(i);
            Reply settling;
            Status status;
            if (mail != null && !mail.positive()) {
                settling = mail;
                status = refusal(mail.code());
            } else if (rcpt[i] != null && !rcpt[i].positive()) {
                settling = rcpt[i];
                status = statusAtRcpt(rcpt[i].code());
            } else if (end != null) {
                settling = end;
                status = statusOf(end.code());
            } else if (data != null && data.code() != DATA_GO_AHEAD) {
                settling = data;
                status = refusal(data.code());
            } else {
                outcomes.add(new RecipientOutcome(recipient, Status.DEFERRED, 0,
                        failure != null ? failure : "the transaction ended without a reply for this recipient"));
                continue;
            }
            outcomes.add(new RecipientOutcome(recipient, status, settling.code(), settling.text()));
        }
        return outcomes;
    }

    /** A reply that is not success: 5xx is permanent, anything else (4xx, or a code out of place) worth another try. */
    static Status refusal(int replyCode) {
        return replyCode >= 500 && replyCode < 600 ? Status.FAILED : Status.DEFERRED;
    }

    /** 2xx is success, 5xx permanent; everything else is worth another try (the status of a reply to the data's end). */
    static Status statusOf(int replyCode) {
        return replyCode >= 200 && replyCode < 300 ? Status.DELIVERED : refusal(replyCode);
    }

    /**
     * As {@link #statusOf}, but 552 at RCPT is temporary: RFC 5321 section 4.5.3.1.10 says
     * clients treat it as 452 (too many recipients), since old servers sent it for that.
     */
    static Status statusAtRcpt(int replyCode) {
        return replyCode == 552 ? Status.DEFERRED : statusOf(replyCode);
    }
}
