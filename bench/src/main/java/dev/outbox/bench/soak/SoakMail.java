package dev.outbox.bench.soak;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The soak's messages: whom message {@code n} goes to, from whom, and how a copy of it is known
 * again wherever it arrives. Message {@code n} carries the Subject "{@code chaos soak <run> message n}"
 * (a bounce returns the original's header, Subject included), and each of its recipients is an
 * address of its own ({@code m<n>r<j>@d<k>.soak.test}), so a copy or a bounce names one
 * recipient of one message and every outcome can be counted.
 *
 * <p>Each message goes to one or two of the misbehaving domains, with one to three recipients at
 * each, so that transactions carry several recipients and one of them can be refused alone.
 * The sender is one of eight addresses at {@value #SENDERS_DOMAIN}, the reliable domain where the
 * bounces are counted. The choice for {@code n} depends only on the seed and {@code n}.
 *
 * <p>Immutable and thread-safe.
 */
final class SoakMail {

    static final String SENDERS_DOMAIN = "senders.soak.test";

    private static final String TEXT = ("This message was submitted by Outbox's chaos soak. Every recipient of it must be delivered"
            + " once, or bounced with a notice to its sender, although the server is killed and its peers misbehave.\r\n").repeat(4);

    private final long seed;
    private final int destinations;
    private final String run;
    private final Pattern subject;

    /** Messages to {@code destinations} domains; {@code run} tells this run's messages from any other's. */
    SoakMail(long seed, int destinations, String run) {
        this.seed = seed;
        this.destinations = destinations;
        this.run = run;
        this.subject = Pattern.compile("chaos soak " + Pattern.quote(run) + " message (\\d+)");
    }

    /** The domain of misbehaving destination {@code k} (0-based). */
    static String domain(int k) {
        return "d" + (k + 1) + ".soak.test";
    }

    String run() {
        return run;
    }

    String sender(int n) {
        return "app" + (n % 8) + "@" + SENDERS_DOMAIN;
    }

    String subject(int n) {
        return "chaos soak " + run + " message " + n;
    }

    /** The recipients of message {@code n}, in order. */
    List<String> recipients(int n) {
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + n); // mixed well, unlike Random's near seeds
        List<String> recipients = new ArrayList<>();
        int first = random.nextInt(destinations);
        int domains = destinations > 1 && random.nextInt(10) < 3 ? 2 : 1;
        for (int d = 0; d < domains; d++) {
            int k = (first + d) % destinations;
            int count = switch (random.nextInt(10)) {
                case 0 -> 3;
                case 1, 2, 3 -> 2;
                default -> 1;
            };
            for (int j = 0; j < count; j++) {
                recipients.add("m" + n + "r" + recipients.size() + "@" + domain(k));
            }
        }
        return recipients;
    }

    /** The demo application's JSON for message {@code n}. */
    String json(int n) {
        StringBuilder to = new StringBuilder();
        for (String recipient : recipients(n)) {
            to.append(to.isEmpty() ? "" : ",").append('"').append(recipient).append('"');
        }
        return String.format(Locale.ROOT, "{\"from\":\"%s\",\"to\":[%s],\"subject\":\"%s\",\"text\":\"%s\"}",
                sender(n), to, subject(n), TEXT.replace("\r\n", "\\r\\n"));
    }

    /** The message number in {@code subject}, when it is one of this run's. */
    OptionalInt number(String subject) {
        if (subject == null) {
            return OptionalInt.empty();
        }
        Matcher matcher = this.subject.matcher(subject.strip());
        return matcher.matches() ? OptionalInt.of(Integer.parseInt(matcher.group(1))) : OptionalInt.empty();
    }
}
