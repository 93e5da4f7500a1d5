package dev.outbox.bench.soak;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The soak's messages: every recipient an address of its own, the same plan for a seed, and the Subject read back to its number. */
class SoakMailTest {

    private final SoakMail mail = new SoakMail(42, 4, "r1");

    @Test
    void eachMessageGoesToOneOrTwoDomainsWithOneToThreeRecipientsEachAndEveryAddressIsItsOwn() {
        Set<String> addresses = new HashSet<>();
        Set<String> domains = new HashSet<>();
        int twoDomains = 0;
        for (int n = 0; n < 1_000; n++) {
            List<String> recipients = mail.recipients(n);
            Set<String> domainsOfMessage = new HashSet<>();
            for (String recipient : recipients) {
                assertTrue(addresses.add(recipient), "only message " + n + " has " + recipient);
                domainsOfMessage.add(recipient.substring(recipient.indexOf('@') + 1));
            }
            assertTrue(recipients.size() >= 1 && recipients.size() <= 3 * domainsOfMessage.size(), "recipients of " + n + ": " + recipients);
            twoDomains += domainsOfMessage.size() == 2 ? 1 : 0;
            domains.addAll(domainsOfMessage);
        }
        assertEquals(Set.of("d1.soak.test", "d2.soak.test", "d3.soak.test", "d4.soak.test"), domains, "every domain gets mail");
        assertTrue(twoDomains > 200 && twoDomains < 400, "about three messages in ten go to two domains: " + twoDomains);
        assertEquals(mail.recipients(7), new SoakMail(42, 4, "other run").recipients(7), "the plan depends on the seed and n only");
    }

    @Test
    void theSubjectNamesTheMessageAndOnlyThisRunsSubjectsAreRead() {
        assertEquals(OptionalInt.of(1234), mail.number(mail.subject(1234)));
        assertEquals(OptionalInt.of(5), mail.number(" chaos soak r1 message 5 "), "folding white space around it is no matter");
        assertEquals(OptionalInt.empty(), mail.number(new SoakMail(42, 4, "r2").subject(5)));
        assertEquals(OptionalInt.empty(), mail.number(null));
        assertEquals(OptionalInt.empty(), mail.number("Re: chaos soak r1 message 5"));
    }

    @Test
    void theJsonIsWhatTheDemoApplicationTakes() {
        String json = mail.json(3);

        assertTrue(json.startsWith("{\"from\":\"app3@senders.soak.test\",\"to\":[\"m3r0@"), json);
        assertTrue(json.contains("\"subject\":\"chaos soak r1 message 3\""), json);
        assertTrue(json.contains("\\r\\n") && !json.contains("\r"), "line breaks escaped: " + json);
    }
}
