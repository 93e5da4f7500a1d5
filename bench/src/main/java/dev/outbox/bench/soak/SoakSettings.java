package dev.outbox.bench.soak;

import dev.outbox.bench.Flags;

import java.nio.file.Path;
import java.time.Duration;

/**
 * The flags of one chaos soak, each with its default: what {@code bench/soak} passes through to
 * {@link ChaosSoak}. Relative paths are taken from the working directory.
 *
 * <p>{@link #parse} reads {@code --name value} pairs; a later flag overrides an earlier one, so the
 * script puts its defaults first and the user's flags after. {@link #USAGE} lists them.
 *
 * <p>Immutable. Misuse: an unknown flag, a missing value or a value out of range throws
 * {@link IllegalArgumentException} naming the flag and the range.
 *
 * @param messages      messages submitted, each with its own Subject, to one or two misbehaving domains
 * @param kills         kill -9 of WildFly during the soak, each followed by a restart
 * @param destinations  misbehaving domains, each with its own MX host (a scripted server on 127.0.0.21, .22, ...)
 * @param submitSeconds the server's up time over which the submits are spread, and in which the kills fall
 * @param submitters    threads that submit over HTTP
 * @param seed          where every random choice starts (faults, kill times, recipients); the threads' timing still varies
 * @param drainLimit    how long the store may take to empty once the chaos is over, before the soak gives up
 * @param jbossHome     the unpacked WildFly 39 (read only: the soak runs it with a base directory of its own)
 * @param deployables   the folder with {@code outbox.ear} and {@code outbox-demo.war}
 * @param work          the soak's folder: WildFly's base directory, its logs, the account; emptied at the start
 * @param portOffset    WildFly's {@code jboss.socket.binding.port-offset}
 */
record SoakSettings(int messages, int kills, int destinations, Duration submitSeconds, int submitters, long seed,
                    Duration drainLimit, Path jbossHome, Path deployables, Path work, int portOffset) {

    static final String USAGE = """
            Usage: bench/soak [flags]   (or java -cp ... dev.outbox.bench.soak.ChaosSoak [flags])
              --messages N            messages to submit (default 10000, 10..1000000)
              --kills N               kill -9 of WildFly during the soak, each followed by a restart (default 3, 0..20)
              --destinations N        misbehaving recipient domains (default 4, 1..9)
              --submit-seconds N      server up time over which the submits are spread; the kills fall in it (default 150, 10..3600)
              --submitters N          HTTP submit threads (default 4, 1..64)
              --seed N                start of every random choice (default: the clock's; printed)
              --drain-minutes N       how long the store may take to empty after the chaos (default 5, 1..120)
              --jboss-home PATH       the unpacked WildFly 39 (default: bench/target/wildfly-39.0.1.Final)
              --deployables PATH      folder with outbox.ear and outbox-demo.war (default: bench/target/soak-deployables)
              --work PATH             the soak's folder, emptied first: WildFly's base directory, logs, account (default: bench/target/soak)
              --port-offset N         WildFly's port offset (default 300: HTTP 8380, management 10290)
            """;

    static SoakSettings parse(String[] args) {
        long messages = 10_000;
        long kills = 3;
        long destinations = 4;
        long submitSeconds = 150;
        long submitters = 4;
        long seed = System.currentTimeMillis();
        long drainMinutes = 5;
        Path jbossHome = Path.of("target", "wildfly-39.0.1.Final");
        Path deployables = Path.of("target", "soak-deployables");
        Path work = Path.of("target", "soak");
        long portOffset = 300;
        for (Flags.Pair pair : Flags.pairs(args)) {
            String flag = pair.flag();
            String value = pair.value();
            switch (flag) {
                case "--messages" -> messages = Flags.number(flag, value, 10, 1_000_000);
                case "--kills" -> kills = Flags.number(flag, value, 0, 20);
                case "--destinations" -> destinations = Flags.number(flag, value, 1, 9);
                case "--submit-seconds" -> submitSeconds = Flags.number(flag, value, 10, 3600);
                case "--submitters" -> submitters = Flags.number(flag, value, 1, 64);
                case "--seed" -> seed = Flags.number(flag, value, Long.MIN_VALUE, Long.MAX_VALUE);
                case "--drain-minutes" -> drainMinutes = Flags.number(flag, value, 1, 120);
                case "--jboss-home" -> jbossHome = Path.of(value);
                case "--deployables" -> deployables = Path.of(value);
                case "--work" -> work = Path.of(value);
                case "--port-offset" -> portOffset = Flags.number(flag, value, 0, 50_000);
                default -> throw new IllegalArgumentException("unknown flag " + flag);
            }
        }
        return new SoakSettings((int) messages, (int) kills, (int) destinations, Duration.ofSeconds(submitSeconds), (int) submitters,
                seed, Duration.ofMinutes(drainMinutes), jbossHome, deployables, work, (int) portOffset);
    }
}
