package dev.outbox.queue;

import dev.outbox.api.RecipientState;

/**
 * One recipient's change of state, as {@link RecipientLedger} tells its listeners after the
 * change is persisted: the hook for management, notifications and delivery status notices.
 *
 * @param messageId   the queue id
 * @param recipient   the recipient's address
 * @param destination the name of its transfer queue
 * @param from        the state it left
 * @param to          the state it entered
 * @param replyCode   the SMTP reply code behind it, or 0 when none (an expiry, a merge)
 * @param reply       the reply or reason, empty when none
 * @param atMillis    when it happened
 */
public record Transition(String messageId, String recipient, String destination, RecipientState from, RecipientState to,
                         int replyCode, String reply, long atMillis) {

    /**
     * Told every transition, on the thread that made it, while that message's lock is held, so
     * a listener sees each message's transitions in the order they happened. It must not block
     * and must not call back into the queue's operations; it may read and hand the event on.
     */
    public interface Listener {
        void changed(Transition transition);
    }
}
