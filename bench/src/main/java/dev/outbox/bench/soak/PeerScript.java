package dev.outbox.bench.soak;

import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Exchange;
import dev.outbox.testing.smtp.Reaction;
import dev.outbox.testing.smtp.Rule;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * How one life of a soak peer (a scripted SMTP server standing for an MX host) answers Outbox: a
 * {@link Rule} that puts random faults in front of each exchange, and keeps the account of the
 * transfers a crash could make Outbox send twice.
 *
 * <p>Faults, each with its chance per exchange of the command it fits (in percent, multiplied by
 * the peer's temper; a temper of 0 is a reliable server): a 421 at the greeting or EHLO; a 4xx
 * or a 5xx to MAIL, RCPT, DATA or the final dot (a 5xx bounces the recipients it refuses); a
 * stall before the answer (0.5 to 2 s, at the dot at most 1 s, well under Outbox's 5 s read
 * timeout); a hang (no answer ever, until Outbox times out; never after the data, where the
 * server would have stored the message); a hang-up or a reset; and a drop after the final dot,
 * where the server stores the message and closes without the 250 (the lost reply of RFC 1047).
 *
 * <p>In doubt: a transfer whose final dot the server has answered 250 (or is stalling before
 * it), on a connection that has sent no command since. Outbox records a delivery durably
 * before it sends its next command on that connection, so only a transfer in doubt can be
 * delivered again when Outbox dies, or when the server closes, at that moment: a kill or a stop
 * makes a duplicate of at most {@link #inDoubt()} recipients. Drops after the dot are counted in
 * {@link #droppedRecipients()}.
 *
 * <p>Threading: {@link #react} runs on the server's connection threads, at once; the counts may
 * be read from any thread.
 */
final class PeerScript implements Rule {

    /** What the script does to one exchange. */
    enum Fault { NONE, BUSY, TEMPORARY, PERMANENT, STALL, HANG, HANG_UP, RESET, DROP_AFTER_DOT }

    /** Per command, the faults that fit it and their chances in percent at temper 1. */
    private static final Map<Command, Map<Fault, Double>> CHANCES = new HashMap<>();

    static {
        CHANCES.put(Command.CONNECT, Map.of(Fault.BUSY, 1.0, Fault.HANG_UP, 0.3, Fault.STALL, 1.0));
        CHANCES.put(Command.EHLO, Map.of(Fault.BUSY, 0.3, Fault.STALL, 0.5));
        CHANCES.put(Command.MAIL, Map.of(Fault.TEMPORARY, 1.0, Fault.PERMANENT, 0.2, Fault.HANG_UP, 0.2, Fault.HANG, 0.1, Fault.STALL, 1.0));
        CHANCES.put(Command.RCPT, Map.of(Fault.TEMPORARY, 3.0, Fault.PERMANENT, 1.5, Fault.STALL, 0.5));
        CHANCES.put(Command.DATA, Map.of(Fault.TEMPORARY, 0.5, Fault.PERMANENT, 0.2, Fault.RESET, 0.2));
        CHANCES.put(Command.END_OF_DATA, Map.of(Fault.TEMPORARY, 1.0, Fault.PERMANENT, 0.3, Fault.DROP_AFTER_DOT, 0.4,
                Fault.STALL, 1.0));
    }

    private final double temper;
    private final Random random;
    /** Connection number to the recipients of its transfer in doubt. */
    private final Map<Integer, Integer> atDot = new ConcurrentHashMap<>();
    private final AtomicLongArray faults = new AtomicLongArray(Fault.values().length);
    private final AtomicInteger dropped = new AtomicInteger();

    /** A script with faults at {@code temper} times the base chances (0: none), drawn from {@code random}. */
    PeerScript(double temper, Random random) {
        this.temper = temper;
        this.random = random;
    }

    @Override
    public Reaction react(Exchange exchange) {
        Fault fault = temper == 0 ? Fault.NONE : draw(exchange.command());
        faults.incrementAndGet(fault.ordinal());
        if (exchange.command() != Command.END_OF_DATA) {
            atDot.remove(exchange.connection()); // a command after the dot: Outbox has recorded that transfer
        } else if (fault == Fault.NONE || fault == Fault.STALL) {
            atDot.put(exchange.connection(), exchange.recipientsAccepted());
        } else if (fault == Fault.DROP_AFTER_DOT) {
            dropped.addAndGet(exchange.recipientsAccepted());
        }
        return reaction(exchange.command(), fault);
    }

    /** Recipients of the transfers in doubt now, by connection. */
    Map<Integer, Integer> inDoubt() {
        return Map.copyOf(atDot);
    }

    /** After a kill of Outbox: every connection it had is gone, and nothing is in doubt any more. */
    void forgetConnections() {
        atDot.clear();
    }

    /** Recipients of the transfers stored and then dropped without the 250. */
    int droppedRecipients() {
        return dropped.get();
    }

    long count(Fault fault) {
        return faults.get(fault.ordinal());
    }

    private Fault draw(Command command) {
        Map<Fault, Double> chances = CHANCES.get(command);
        if (chances == null) {
            return Fault.NONE;
        }
        double roll = random.nextDouble() * 100 / temper;
        for (Fault fault : Fault.values()) { // a fixed order, so a seed means the same thing every time
            Double chance = chances.get(fault);
            if (chance != null) {
                if (roll < chance) {
                    return fault;
                }
                roll -= chance;
            }
        }
        return Fault.NONE;
    }

    private Reaction reaction(Command command, Fault fault) {
        return switch (fault) {
            case NONE -> Reaction.proceed();
            case BUSY -> Reaction.reply("421 4.3.2 Service not available, try again later");
            case TEMPORARY -> Reaction.reply(switch (command) {
                case RCPT -> random.nextBoolean() ? "450 4.2.1 Mailbox busy, try again later" : "452 4.2.2 Mailbox full";
                case END_OF_DATA -> "451 4.3.0 Queue file write error, try again later";
                default -> "451 4.3.0 Temporary failure, try again later";
            });
            case PERMANENT -> Reaction.reply(switch (command) {
                case MAIL -> "550 5.7.1 Sender refused by policy";
                case RCPT -> "550 5.1.1 User unknown";
                case DATA -> "554 5.5.1 Transaction failed";
                default -> "554 5.6.0 Message content refused";
            });
            case STALL -> Reaction.delayThenProceed(Duration.ofMillis(command == Command.END_OF_DATA
                    ? 200 + random.nextInt(800) : 500 + random.nextInt(1500)));
            case HANG -> Reaction.silence();
            case HANG_UP -> Reaction.close();
            case RESET -> Reaction.reset();
            case DROP_AFTER_DOT -> Reaction.acceptThenClose();
        };
    }
}
