package dev.outbox.dsn;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class EnhancedStatusTest {

    @Test
    void theEnhancedStatusInAReplyIsTaken() {
        assertEquals("5.1.1", EnhancedStatus.of(550, "550 5.1.1 <bob@example.org>: user unknown").toString());
        assertEquals("4.7.1", EnhancedStatus.of(450, "450-4.7.1 greylisted, try again").toString());
        assertEquals("4.2.2", EnhancedStatus.of(452, "4.2.2 mailbox full").toString());
    }

    @Test
    void withoutOneTheReplyCodesClassDecides() {
        assertEquals("5.0.0", EnhancedStatus.of(550, "550 user unknown").toString());
        assertEquals("4.0.0", EnhancedStatus.of(421, "421 closing").toString());
        assertEquals("5.0.0", EnhancedStatus.of(554, null).toString());
        assertEquals("5.0.0", EnhancedStatus.of(550, "550 5.1.1.2 not a status").toString());
    }

    @Test
    void anEnhancedStatusOfAnotherClassThanTheCodeIsIgnored() {
        assertEquals("5.0.0", EnhancedStatus.of(550, "550 4.1.1 confused server").toString());
    }

    @Test
    void noReplyAtAllIsNoAnswerFromHost() {
        assertEquals("4.4.1", EnhancedStatus.of(0, "connection refused").toString());
    }

    @Test
    void aNullMxPassesThroughAndExpiryIs547() {
        assertEquals("5.1.10", EnhancedStatus.of(556, "556 5.1.10 example.org accepts no mail (null MX)").toString());
        assertEquals("5.4.7", EnhancedStatus.EXPIRED.toString());
    }

    @Test
    void parseReadsTheWrittenFormOnly() {
        assertEquals(new EnhancedStatus(5, 1, 10), EnhancedStatus.parse("5.1.10"));
        assertThrows(IllegalArgumentException.class, () -> EnhancedStatus.parse("3.1.1"));
        assertThrows(IllegalArgumentException.class, () -> EnhancedStatus.parse("5.1.1\r\nX: y"));
    }
}
