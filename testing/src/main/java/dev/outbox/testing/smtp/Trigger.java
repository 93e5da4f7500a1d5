package dev.outbox.testing.smtp;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The "when" half of a rule, built by {@link Rules}: which exchanges a reaction applies to,
 * and how many times. Immutable; each narrowing returns a new trigger, and each reaction
 * method ({@link #reply(String)}, {@link #close()}, ...) returns a new {@link Rule}.
 *
 * <p>{@link #times(int)} makes the rule fire only that often: the count is taken when the
 * condition matches, atomically, and belongs to the rule made from this trigger (two rules made
 * from one trigger count apart). After the last time the rule gives null, so later rules or the
 * default answer.
 *
 * <p>Misuse (a connection number or a count below 1, a null) throws at once.
 */
public final class Trigger {

    private final Predicate<Exchange> condition;
    private final String description;
    private final int times;

    Trigger(Predicate<Exchange> condition, String description) {
        this(condition, description, Integer.MAX_VALUE);
    }

    private Trigger(Predicate<Exchange> condition, String description, int times) {
        this.condition = condition;
        this.description = description;
        this.times = times;
    }

    /** Only on the {@code n}th connection the server accepted (1-based). */
    public Trigger onConnection(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("connections are numbered from 1, not " + n);
        }
        return new Trigger(condition.and(exchange -> exchange.connection() == n), description + " on connection " + n, times);
    }

    /** Only where {@code predicate} holds too. */
    public Trigger when(Predicate<Exchange> predicate) {
        Objects.requireNonNull(predicate, "predicate");
        return new Trigger(condition.and(predicate), description + " when <predicate>", times);
    }

    /** At most the first {@code n} times the rest of the condition matches. */
    public Trigger times(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("a rule fires at least once, not " + n + " times");
        }
        return new Trigger(condition, description, n);
    }

    /** The rule that reacts with {@code reaction}. */
    public Rule then(Reaction reaction) {
        Objects.requireNonNull(reaction, "reaction");
        AtomicInteger left = new AtomicInteger(times);
        String text = description + (times == Integer.MAX_VALUE ? "" : " (" + times + " times)") + " -> " + reaction;
        return new Rule() {
            @Override
            public Reaction react(Exchange exchange) {
                if (!condition.test(exchange)) {
                    return null;
                }
                if (times != Integer.MAX_VALUE && left.getAndUpdate(n -> Math.max(0, n - 1)) == 0) {
                    return null;
                }
                return reaction;
            }

            @Override
            public String toString() {
                return text;
            }
        };
    }

    /** See {@link Reaction#reply(String)}. */
    public Rule reply(String lines) {
        return then(Reaction.reply(lines));
    }

    /** See {@link Reaction#delayThenReply(Duration, String)}. */
    public Rule delayThenReply(Duration delay, String lines) {
        return then(Reaction.delayThenReply(delay, lines));
    }

    /** See {@link Reaction#delayThenProceed(Duration)}. */
    public Rule delayThenProceed(Duration delay) {
        return then(Reaction.delayThenProceed(delay));
    }

    /** See {@link Reaction#silence()}. */
    public Rule silence() {
        return then(Reaction.silence());
    }

    /** See {@link Reaction#close()}. */
    public Rule close() {
        return then(Reaction.close());
    }

    /** See {@link Reaction#reset()}. */
    public Rule reset() {
        return then(Reaction.reset());
    }

    /** See {@link Reaction#stopReading()}. */
    public Rule stopReading() {
        return then(Reaction.stopReading());
    }

    /** See {@link Reaction#acceptThenClose()}; only for {@link Command#END_OF_DATA}. */
    public Rule acceptThenClose() {
        return then(Reaction.acceptThenClose());
    }

    /** See {@link Reaction#proceed()}: the default, which keeps later rules from firing. */
    public Rule proceed() {
        return then(Reaction.proceed());
    }

    @Override
    public String toString() {
        return description;
    }
}
