package dev.outbox.api;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that RFC 5321 mailboxes pass and every defect is refused with a message naming the role and the defect. */
class MailboxSyntaxTest {

    private static final String ROLE = "recipient 2";

    @ParameterizedTest
    @ValueSource(strings = {
            "john.doe@example.org",
            "John.Doe+tag@mail.example.org",
            "!#$%&'*+-/=?^_`{|}~@example.org",
            "a@b",
            "x@xn--bcher-kva.example",
            "\"john doe\"@example.org",
            "\".leading..and.trailing.\"@example.org",
            "\"at@sign\"@example.org",
            "\"escaped \\\" quote\"@example.org",
            "\"\"@example.org",
            "postmaster@[127.0.0.1]",
            "postmaster@[IPv6:::1]",
            "postmaster@[ipv6:2001:db8::192.0.2.1]",
    })
    void acceptsValidMailboxes(String mailbox) {
        assertDoesNotThrow(() -> MailboxSyntax.check(mailbox, ROLE));
    }

    @ParameterizedTest
    @MethodSource("atTheLimits")
    void acceptsMailboxesAtTheLengthLimits(String mailbox) {
        assertDoesNotThrow(() -> MailboxSyntax.check(mailbox, ROLE));
    }

    static Stream<String> atTheLimits() {
        return Stream.of(
                "a".repeat(64) + "@example.org",
                "a@" + "b".repeat(63) + ".org",
                // 64 + 1 + 189 = 254 octets, the longest mailbox a 256-octet path can carry.
                "a".repeat(64) + "@" + domainOfLength(189));
    }

    @ParameterizedTest(name = "[{index}] {1}")
    @MethodSource("defects")
    void refusesWithRoleAndDefect(String mailbox, String defect) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MailboxSyntax.check(mailbox, ROLE));

        assertTrue(e.getMessage().startsWith(ROLE + " \""), e.getMessage());
        assertTrue(e.getMessage().contains(defect), () -> "expected \"" + defect + "\" in: " + e.getMessage());
        // The message goes to logs and to the application: nothing in it may start a new line.
        assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"), e.getMessage());
    }

    static Stream<Arguments> defects() {
        return Stream.of(
                Arguments.of("jo\rhn@example.org", "contains CR at index 2"),
                Arguments.of("jo\nhn@example.org", "contains LF at index 2"),
                Arguments.of("john@example.org\r\nRCPT TO:<evil@example.org>", "contains CR at index 16"),
                Arguments.of("jo\0hn@example.org", "contains NUL at index 2"),
                Arguments.of("jo\thn@example.org", "contains control character U+0009 at index 2"),
                Arguments.of("jo\u001bhn@example.org", "contains control character U+001B at index 2"),
                Arguments.of("jo\u007fhn@example.org", "contains control character U+007F at index 2"),
                Arguments.of("jöhn@example.org", "contains a non-ASCII character (SMTPUTF8 is not supported) at index 1"),
                Arguments.of("john@exämple.org", "contains a non-ASCII character (SMTPUTF8 is not supported) at index 7"),
                Arguments.of("john doe@example.org", "has a bad local part: ' ' is not allowed unquoted"),
                Arguments.of("john@exa mple.org", "has a bad domain: ' ' is not allowed in a host name"),
                Arguments.of("john(comment)@example.org", "has a bad local part: '(' is not allowed unquoted"),
                Arguments.of("john.example.org", "is not of the form local-part@domain"),
                Arguments.of("@example.org", "is not of the form local-part@domain"),
                Arguments.of("john@", "is not of the form local-part@domain"),
                Arguments.of("", "is not of the form local-part@domain"),
                Arguments.of(".john@example.org", "has a bad local part: a dot at the start, at the end or twice in a row"),
                Arguments.of("john.@example.org", "has a bad local part: a dot at the start, at the end or twice in a row"),
                Arguments.of("jo..hn@example.org", "has a bad local part: a dot at the start, at the end or twice in a row"),
                Arguments.of("\"john@example.org", "has a bad local part: an unterminated quoted string"),
                Arguments.of("\"jo\"hn\"@example.org", "has a bad local part: an unescaped quote inside the quoted string"),
                Arguments.of("\"john\\\"@example.org", "has a bad local part: a backslash with nothing to quote"),
                Arguments.of("a".repeat(65) + "@example.org", "has a local part of 65 octets, over the RFC 5321 limit of 64"),
                Arguments.of("a".repeat(64) + "@" + domainOfLength(190), "is 255 octets long, over the RFC 5321 limit of 254"),
                Arguments.of("a@" + domainOfLength(300), "is 302 octets long, over the RFC 5321 limit of 254"),
                Arguments.of("john@" + "b".repeat(64) + ".org", "has a bad domain: a label must have 1 to 63 characters"),
                Arguments.of("john@example..org", "has a bad domain: a label must have 1 to 63 characters"),
                Arguments.of("john@.example.org", "has a bad domain: a label must have 1 to 63 characters"),
                Arguments.of("john@example.org.", "has a bad domain: a label must have 1 to 63 characters"),
                Arguments.of("john@-example.org", "has a bad domain: a label may not start or end with '-'"),
                Arguments.of("john@example-.org", "has a bad domain: a label may not start or end with '-'"),
                Arguments.of("john@mail.example.-org", "has a bad domain: a label may not start or end with '-'"),
                Arguments.of("john@exa_mple.org", "has a bad domain: '_' is not allowed in a host name"),
                Arguments.of("john@[127.0.0.1", "has a bad domain: an unterminated address literal"),
                Arguments.of("john@[]", "has a bad domain: an empty address literal"),
                Arguments.of("john@[IPv6:]", "has a bad domain: an empty address literal"),
                Arguments.of("john@[127.0.0.x]", "has a bad domain: 'x' is not allowed in an IPv4 address literal"),
                Arguments.of("john@[IPv6:::g]", "has a bad domain: 'g' is not allowed in an IPv6 address literal"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\rb@example.org", "a\nb@example.org", "a\0b@example.org", "a\u0001b@example.org"})
    void escapesControlCharactersInTheMessage(String mailbox) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MailboxSyntax.check(mailbox, ROLE));

        String escaped = mailbox.replace("\r", "\\r").replace("\n", "\\n").replace("\0", "\\0").replace("\u0001", "\\u0001");
        assertTrue(e.getMessage().contains("\"" + escaped + "\""), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"jo\u0085hn@example.org", "jo\u009bhn@example.org"})
    void escapesC1ControlCharactersInTheMessage(String mailbox) {
        // NEL (U+0085) is a line break to many log readers; CSI (U+009B) starts a terminal escape.
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MailboxSyntax.check(mailbox, ROLE));

        assertTrue(e.getMessage().contains("non-ASCII character"), e.getMessage());
        assertTrue(e.getMessage().chars().noneMatch(Character::isISOControl), e.getMessage());
    }

    @Test
    void escapesQuotesAndBackslashesSoTheQuotedAddressCannotBeMisread() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailboxSyntax.check("\"a\\\"b\" c@example.org", ROLE));

        assertTrue(e.getMessage().startsWith(ROLE + " \"\\\"a\\\\\\\"b\\\" c@example.org\" "), e.getMessage());
    }

    @Test
    void refusesNullNamingTheRole() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MailboxSyntax.check(null, ROLE));

        assertEquals(ROLE + " is null", e.getMessage());
    }

    @Test
    void shortensVeryLongAddressesInTheMessage() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MailboxSyntax.check("a".repeat(5000) + "@example.org", ROLE));

        assertTrue(e.getMessage().contains("a".repeat(300) + "...\""), e.getMessage());
        assertTrue(e.getMessage().length() < 400, "message is " + e.getMessage().length() + " characters long");
    }

    /** A host name of exactly {@code length} octets, in labels of at most 63. */
    private static String domainOfLength(int length) {
        StringBuilder domain = new StringBuilder();
        while (length - domain.length() > 63) {
            domain.append("d".repeat(62)).append('.');
        }
        return domain.append("d".repeat(length - domain.length())).toString();
    }
}
