package dev.outbox.cli;

import java.util.List;

/**
 * What the command prints on standard output for each kind of answer, as one String:
 * {@link TextReport} (aligned tables, for people) or {@link JsonReport} (for scripts). Both
 * only format; they never call the server. Errors are not theirs: they go to standard error.
 */
interface Report {

    /** The queues command: every transfer queue. */
    String queues(List<QueueSummary> queues);

    /** The list command: one page ({@code offset}, {@code limit}) of the messages in {@code queue}. */
    String messages(QueueSummary queue, int offset, int limit, List<MessageSummary> page);

    /** The find command: one page of the live messages that match {@code query} ("" matches all). */
    String found(String query, int offset, int limit, List<MessageSummary> page);

    /** The show command. */
    String message(MessageDetail message);

    /** The status command. */
    String status(ManagerStatus status);

    /** Any command that changes something: what it did. */
    String outcome(Outcome outcome);
}
