package dev.outbox.testing.smtp;

/**
 * Where scripts start: {@code Rules.on(Command.RCPT).onConnection(2).times(1).reply("452 4.3.1 Try later")}.
 *
 * <p>{@link #on(Command)} and {@link #always()} give a {@link Trigger} to narrow and then turn
 * into a rule with a reaction; {@link #recipientsPerTransaction(int, String)} is the usual
 * per-transaction recipient limit. Misuse (a negative limit, a null) throws at once.
 */
public final class Rules {

    private Rules() {
    }

    /** Fires on every exchange of {@code command}. */
    public static Trigger on(Command command) {
        if (command == null) {
            throw new NullPointerException("command");
        }
        return new Trigger(exchange -> exchange.command() == command, command.name());
    }

    /** Fires on every exchange, whatever the command. */
    public static Trigger always() {
        return new Trigger(exchange -> true, "any command");
    }

    /**
     * Answers every RCPT beyond the first {@code max} accepted in a transaction with {@code reply}
     * (such as "452 4.5.3 Too many recipients"); the first {@code max} get the default.
     */
    public static Rule recipientsPerTransaction(int max, String reply) {
        if (max < 0) {
            throw new IllegalArgumentException("max recipients per transaction is negative: " + max);
        }
        return on(Command.RCPT).when(exchange -> exchange.recipientsAccepted() >= max).reply(reply);
    }
}
