package dev.outbox.store;

import dev.outbox.api.RecipientState;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** RecipientStatus keeps what a DSN needs on one bounded line, with defaults for callers that know nothing of DSNs. */
class RecipientStatusTest {

    @Test
    void theThreeArgumentStatusHasNoReplyNoHostNoAttemptTimeAndNoNoticeOwed() {
        RecipientStatus status = new RecipientStatus(RecipientState.DEFERRED, 5, 2);
        assertEquals(new RecipientStatus(RecipientState.DEFERRED, 5, 2, 0, "", "", 0, false), status);
        assertEquals(status, status.withReply(0, "", "").withLastAttempt(0).withNoticePending(false));
    }

    @Test
    void withReplyPutsTheTextOnOneLineAndCutsItAtTheBound() {
        RecipientStatus status = RecipientStatus.QUEUED.withReply(550, "5.1.1 no such user\r\nhere\nor there", "mx.example.com");
        assertEquals("5.1.1 no such user here or there", status.replyText());
        assertEquals(550, status.replyCode());
        assertEquals("mx.example.com", status.remoteHost());
        String cut = RecipientStatus.QUEUED.withReply(451, "y".repeat(5000), "h").replyText();
        assertEquals(RecipientStatus.MAX_TEXT_CHARS, cut.length());
        // A surrogate pair is never split at the cut.
        String pairs = RecipientStatus.QUEUED.withReply(451, "y" + "\ud83d\udce8".repeat(1000), "h").replyText();
        assertEquals(RecipientStatus.MAX_TEXT_CHARS - 1, pairs.length());
    }

    @Test
    void misuseIsRefusedNamingTheValue() {
        assertThrows(IllegalArgumentException.class, () -> RecipientStatus.QUEUED.withReply(42, "", ""));
        assertThrows(IllegalArgumentException.class, () -> RecipientStatus.QUEUED.withReply(600, "", ""));
        assertThrows(IllegalArgumentException.class, () -> RecipientStatus.QUEUED.withReply(250, "ok", "mx\n.example.com"));
        assertThrows(IllegalArgumentException.class, () -> RecipientStatus.QUEUED.withReply(250, "ok", null));
        assertThrows(IllegalArgumentException.class, () -> RecipientStatus.QUEUED.withReply(250, "ok", "h".repeat(1001)));
        assertThrows(IllegalArgumentException.class, () -> RecipientStatus.QUEUED.withLastAttempt(-1));
        assertThrows(IllegalArgumentException.class, () -> new RecipientStatus(RecipientState.IN_FLIGHT, 0, 0));
    }
}
