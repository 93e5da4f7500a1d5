package dev.outbox.api;

import dev.outbox.api.old.OldEnvelope;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Review of 6606d12: the rewritten Envelope and MailboxSyntax accept and refuse exactly what the
 * previous ones did (copied from 6606d12^ as {@link OldEnvelope}), with the same message, and keep
 * the same recipients, over generated and adversarial addresses and lists of 1 to 50 recipients.
 */
class EnvelopeDifferentialTest {

    private static final String ATEXT = "abcXYZ09!#$%&'*+-/=?^_`{|}~.";
    private static final String NASTY = "\r\n\0\t\u0001\u001f\u007f\u0080\u0085\u00e9\u2028 \"\\@[]().,:;<>";

    private final Random random = new Random(6606);

    @Test
    void oldAndNewEnvelopesAgreeOnEveryGeneratedAddress() {
        List<String> addresses = new ArrayList<>(fixed());
        for (int i = 0; i < 200_000; i++) {
            addresses.add(generated());
        }
        int accepted = 0;
        for (String address : addresses) {
            String old = outcome(() -> OldEnvelope.of(address, "r@x.example").reversePath()
                    + "|" + OldEnvelope.of("", address).recipients());
            String now = outcome(() -> Envelope.of(address, "r@x.example").reversePath()
                    + "|" + Envelope.of("", address).recipients());
            assertEquals(old, now, "for " + MailboxSyntax.printable(address));
            if (!old.startsWith("refused")) {
                accepted++;
            }
        }
        System.out.println("EnvelopeDifferentialTest: " + addresses.size() + " addresses, " + accepted + " accepted by both");
    }

    @Test
    void oldAndNewEnvelopesAgreeOnRecipientListsWithRepeats() {
        for (int round = 0; round < 50_000; round++) {
            int n = 1 + random.nextInt(random.nextBoolean() ? 10 : 50);
            List<String> pool = new ArrayList<>();
            int distinct = 1 + random.nextInt(n);
            for (int i = 0; i < distinct; i++) {
                pool.add(random.nextInt(20) == 0 ? generated() : simple());
            }
            List<String> recipients = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String pick = pool.get(random.nextInt(pool.size()));
                recipients.add(random.nextInt(3) == 0 ? flipCase(pick) : pick);
            }
            String old = outcome(() -> OldEnvelope.of("s@x.example", recipients).recipients().toString());
            String now = outcome(() -> Envelope.of("s@x.example", recipients).recipients().toString());
            assertEquals(old, now, "for " + recipients);
            String oldImmutable = outcome(() -> OldEnvelope.of("s@x.example", List.copyOf(recipients)).recipients().toString());
            String nowImmutable = outcome(() -> Envelope.of("s@x.example", List.copyOf(recipients)).recipients().toString());
            assertEquals(oldImmutable, nowImmutable, "for List.copyOf of " + recipients);
        }
    }

    private static String outcome(java.util.function.Supplier<String> make) {
        try {
            return make.get();
        } catch (IllegalArgumentException e) {
            return "refused: " + e.getMessage();
        } catch (RuntimeException e) {
            return "threw " + e;
        }
    }

    private List<String> fixed() {
        List<String> list = new ArrayList<>();
        for (int local : new int[]{1, 63, 64, 65, 66}) {
            for (int domain : new int[]{1, 63, 64, 185, 186, 187, 188, 189, 190, 200, 253, 254, 255, 256}) {
                list.add("a".repeat(local) + "@" + domain(domain));
                list.add("\"" + "b".repeat(Math.max(0, local - 2)) + "\"@" + domain(domain));
            }
        }
        for (int total = 250; total <= 258; total++) {
            list.add("l".repeat(64) + "@" + domain(total - 65));
        }
        String[] locals = {"a", ".a", "a.", "a..b", "a.b", "\"\"", "\"", "\"a", "a\"", "\"a\"b\"", "\"a\\\"b\"", "\"a\\\"", "\"\\\"",
                "\"a b\"", "\"a@b\"", "\"a\\\\\"", "\"..\"", "a b", "(c)a", "a,b", "a;b", "a:b", "<a>", "a\r\nb", "\"a\r\nb\"",
                "\"a\\\rb\"", "\"\0\"", "é", "\"é\""};
        String[] domains = {"x.example", "X.EXAMPLE", "x", "x.", ".x", "x..y", "-x", "x-", "x-y", "x_y", "[1.2.3.4]", "[]", "[IPv6:]",
                "[IPv6:::1]", "[ipv6:::1]", "[IPV6:fe80::1]", "[1.2.3.4", "1.2.3.4]", "[1.2.3.a]", "[IPv6:g::1]", "[a]", "[ ]",
                "x.example\r\n", "x\u0000y", "[1.2.3.4]x", "x@y", "", "[", "]"};
        for (String local : locals) {
            for (String domain : domains) {
                list.add(local + "@" + domain);
            }
        }
        list.add("");
        list.add("@");
        list.add("a@");
        list.add("@b");
        list.add("a@@b");
        list.add("a@b@c");
        list.add("\"a@b\"@c");
        list.add("\"a@\"@c.example");
        return list;
    }

    private static String domain(int length) {
        StringBuilder out = new StringBuilder();
        while (out.length() < length) {
            int label = Math.min(63, length - out.length());
            if (out.length() > 0) {
                out.append('.');
                label = Math.min(63, length - out.length());
                if (label == 0) {
                    out.setLength(out.length() - 1);
                    out.append('z');
                    break;
                }
            }
            out.append("d".repeat(label));
        }
        return out.toString();
    }

    private String simple() {
        return word(1 + random.nextInt(8)) + "@" + word(1 + random.nextInt(6)) + ".example";
    }

    private String word(int n) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append((char) ('a' + random.nextInt(26)));
        }
        return out.toString();
    }

    private String flipCase(String address) {
        StringBuilder out = new StringBuilder(address);
        for (int i = 0; i < out.length(); i++) {
            if (random.nextBoolean()) {
                char c = out.charAt(i);
                out.setCharAt(i, Character.isUpperCase(c) ? Character.toLowerCase(c) : Character.toUpperCase(c));
            }
        }
        return out.toString();
    }

    private String generated() {
        StringBuilder local = new StringBuilder();
        boolean quoted = random.nextInt(4) == 0;
        int localLength = random.nextInt(10) == 0 ? 60 + random.nextInt(8) : random.nextInt(12);
        if (quoted) {
            local.append('"');
        }
        for (int i = 0; i < localLength; i++) {
            local.append(pick(random.nextInt(12) == 0 ? NASTY : ATEXT));
        }
        if (quoted && random.nextInt(5) != 0) {
            local.append('"');
        }
        String domain;
        switch (random.nextInt(6)) {
            case 0 -> domain = "[" + (random.nextBoolean() ? "IPv6:" : "") + chars("0123456789abcdef:.", random.nextInt(12))
                    + (random.nextInt(5) == 0 ? "" : "]");
            case 1 -> domain = domain(random.nextInt(260));
            default -> {
                StringBuilder d = new StringBuilder();
                int labels = 1 + random.nextInt(4);
                for (int l = 0; l < labels; l++) {
                    if (l > 0) {
                        d.append('.');
                    }
                    d.append(chars("abcXYZ019-", random.nextInt(10) == 0 ? 62 + random.nextInt(4) : random.nextInt(8)));
                    if (random.nextInt(30) == 0) {
                        d.append(pick(NASTY));
                    }
                }
                domain = d.toString();
            }
        }
        String at = random.nextInt(20) == 0 ? "" : "@";
        return local + at + domain;
    }

    private String chars(String alphabet, int n) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < n; i++) {
            out.append(pick(alphabet));
        }
        return out.toString();
    }

    private char pick(String alphabet) {
        return alphabet.charAt(random.nextInt(alphabet.length()));
    }
}
