package dev.outbox.api;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves that an envelope holds only checked addresses, names the bad one, and keeps each recipient once. */
class EnvelopeTest {

    @Test
    void keepsReversePathAndRecipientsInOrder() {
        Envelope envelope = Envelope.of("app@example.org", "b@example.org", "a@example.org", "\"c d\"@[127.0.0.1]");

        assertEquals("app@example.org", envelope.reversePath());
        assertEquals(List.of("b@example.org", "a@example.org", "\"c d\"@[127.0.0.1]"), envelope.recipients());
        assertFalse(envelope.isNullSender());
    }

    @Test
    void acceptsTheNullReversePath() {
        Envelope envelope = Envelope.of("", "postmaster@[IPv6:::1]");

        assertTrue(envelope.isNullSender());
        assertEquals("", envelope.reversePath());
    }

    @Test
    void refusesNullAsReversePathAndPointsToTheEmptyString() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Envelope.of(null, "a@example.org"));

        assertEquals("reverse path is null: use \"\" for the null reverse path <>", e.getMessage());
    }

    @Test
    void namesTheReversePathWhenItIsBad() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Envelope.of("app@example.org\r\nRCPT TO:<x@example.org>", "a@example.org"));

        assertTrue(e.getMessage().startsWith("reverse path \"app@example.org\\r\\nRCPT"), e.getMessage());
        assertTrue(e.getMessage().contains("contains CR at index 15"), e.getMessage());
        assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void namesTheBadRecipientByItsPosition() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Envelope.of("app@example.org", "a@example.org", "b@exam\nple.org", "c@example.org"));

        assertTrue(e.getMessage().startsWith("recipient 2 \"b@exam\\nple.org\""), e.getMessage());
        assertTrue(e.getMessage().contains("contains LF at index 6"), e.getMessage());
        assertFalse(e.getMessage().contains("\r") || e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void countsPositionsInTheListAsGivenNotAfterDuplicatesAreRemoved() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Envelope.of("app@example.org", "a@example.org", "a@example.org", ".c@example.org"));

        assertTrue(e.getMessage().startsWith("recipient 3 "), e.getMessage());
        assertTrue(e.getMessage().contains("a dot at the start"), e.getMessage());
    }

    @Test
    void refusesAnEmptyRecipientList() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Envelope.of("app@example.org"));

        assertEquals("an envelope needs at least one recipient", e.getMessage());
    }

    @Test
    void refusesANullRecipientList() {
        IllegalArgumentException fromList = assertThrows(IllegalArgumentException.class,
                () -> Envelope.of("app@example.org", (List<String>) null));
        IllegalArgumentException fromArray = assertThrows(IllegalArgumentException.class,
                () -> Envelope.of("app@example.org", (String[]) null));

        assertEquals("an envelope needs at least one recipient", fromList.getMessage());
        assertEquals("an envelope needs at least one recipient", fromArray.getMessage());
    }

    @Test
    void refusesANullRecipientNamingIt() {
        IllegalArgumentException fromList = assertThrows(IllegalArgumentException.class,
                () -> Envelope.of("app@example.org", Arrays.asList("a@example.org", null)));
        IllegalArgumentException fromArray = assertThrows(IllegalArgumentException.class,
                () -> Envelope.of("app@example.org", "a@example.org", null));

        assertEquals("recipient 2 is null", fromList.getMessage());
        assertEquals("recipient 2 is null", fromArray.getMessage());
    }

    @Test
    void keepsARepeatedRecipientOnceComparingTheDomainWithoutCase() {
        Envelope envelope = Envelope.of("app@example.org",
                "Bob@Example.ORG", "Bob@example.org", "bob@example.org", "BOB@EXAMPLE.ORG", "bob@EXAMPLE.org");

        // The local part is the receiving system's to interpret (RFC 5321 section 2.4), so case stays.
        assertEquals(List.of("Bob@Example.ORG", "bob@example.org", "BOB@EXAMPLE.ORG"), envelope.recipients());
    }

    @Test
    void comparesQuotedLocalPartsExactly() {
        Envelope envelope = Envelope.of("app@example.org", "\"A@b\"@Example.org", "\"A@b\"@example.ORG", "\"a@b\"@example.org");

        assertEquals(List.of("\"A@b\"@Example.org", "\"a@b\"@example.org"), envelope.recipients());
    }

    @Test
    void recipientsCannotBeChangedThroughTheEnvelopeOrTheCallersList() {
        List<String> given = new ArrayList<>(List.of("a@example.org", "b@example.org"));
        Envelope envelope = Envelope.of("app@example.org", given);

        given.set(0, "evil\r\n@example.org");
        given.add("c@example.org");

        assertEquals(List.of("a@example.org", "b@example.org"), envelope.recipients());
        assertThrows(UnsupportedOperationException.class, () -> envelope.recipients().add("c@example.org"));
        assertThrows(UnsupportedOperationException.class, () -> envelope.recipients().set(0, "c@example.org"));
    }

    @Test
    void equalEnvelopesAfterDuplicatesAreRemoved() {
        assertEquals(Envelope.of("app@example.org", "a@example.org"),
                Envelope.of("app@example.org", "a@example.org", "a@EXAMPLE.org"));
    }

    @Test
    void keepsEachRecipientOnceBeyondThePairwiseComparison() {
        List<String> given = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            given.add("user" + i + "@example.org");
        }
        given.add("USER3@example.org"); // another local part: kept
        given.add("user3@EXAMPLE.org"); // the fourth again: left out
        given.add("user11@Example.Org"); // the last again: left out

        List<String> expected = new ArrayList<>(given.subList(0, 13));
        assertEquals(expected, Envelope.of("app@example.org", given).recipients());
        assertEquals(expected.subList(0, 8), Envelope.of("app@example.org", given.subList(0, 8)).recipients());
    }

    @Test
    void leavesOutARepeatOfTheSameLengthOnlyWhenItIsTheSameMailbox() {
        Envelope envelope = Envelope.of("app@example.org", "ab@c.example.org", "a@bc.example.org", "\"a@\"@x.org", "\"a@\"@X.ORG");

        assertEquals(List.of("ab@c.example.org", "a@bc.example.org", "\"a@\"@x.org"), envelope.recipients());
    }

    @Test
    void keepsAnImmutableListWithoutRepeatsAsItIs() {
        List<String> given = List.of("a@example.org", "b@example.org");

        assertSame(given, Envelope.of("app@example.org", given).recipients());
    }
}
