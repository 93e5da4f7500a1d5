package dev.outbox.cli;

/**
 * What a command that changes something did: the command, what it was applied to (a message id,
 * a destination, or null for all of Outbox), and what the server answered: how many recipients it
 * changed, the queue's state afterwards, or whether Outbox is paused. A field the command has no
 * answer for is null.
 */
record Outcome(Command command, String subject, Integer recipients, String queueState, Boolean paused) {

    static Outcome recipients(Command command, String subject, int recipients) {
        return new Outcome(command, subject, recipients, null, null);
    }

    static Outcome queueState(Command command, String destination, String state) {
        return new Outcome(command, destination, null, state, null);
    }

    static Outcome paused(Command command, boolean paused) {
        return new Outcome(command, null, null, null, paused);
    }
}
