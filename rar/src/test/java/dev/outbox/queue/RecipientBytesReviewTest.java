package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Review of fde8163 (QueuedMessage keeps the reverse path and recipients' UTF-8 bytes, no
 * Envelope): every address comes back exactly (snapshot, search, the RCPT sent, after a restart
 * over the journal), the envelope built per attempt is checked as on submit, and what the
 * checks refuse (non-ASCII, CR/LF/NUL, RFC 5321 lengths) still never gets in. GUARD: passes.
 */
class RecipientBytesReviewTest {

    /** Odd but valid ASCII: a quoted local part with a space and an escaped quote, every atext special, a long label. */
    private static final String QUOTED = "\"john q\\\"doe\"@example.org";
    private static final String SPECIALS = "a!#$%&'*+-/=?^_`{|}~b@example.org";
    private static final String LONG = "l".repeat(64) + "@" + "d".repeat(63) + ".example.org";
    private static final String DEFERRED = "later@example.org";

    @TempDir
    Path journal;

    @AutoClose
    private EngineFixture engine;

    @Test
    void addressesComeBackExactlyBeforeAndAfterARestart() throws Exception {
        engine = new EngineFixture(() -> new JournalStore(journal, 1 << 20, Long.MAX_VALUE, 1 << 20));
        engine.server().script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains(DEFERRED)).reply("450 4.2.1 later"));
        MailQueue queue = engine.start();

        String id = engine.submit("odd", QUOTED, SPECIALS, LONG, DEFERRED);
        engine.await(() -> engine.count(RecipientState.DELIVERED) == 3 && engine.count(RecipientState.DEFERRED) == 1, "three delivered, one deferred");

        List<Received> received = engine.server().received();
        assertEquals(1, received.size());
        // The scripted server cuts an argument at its first space; its transcript has the lines as sent.
        List<String> rcpts = engine.server().transcript().stream().filter(line -> line.contains("RCPT TO:")).toList();
        for (String address : List.of(QUOTED, SPECIALS, LONG, DEFERRED)) {
            assertTrue(rcpts.stream().anyMatch(line -> line.endsWith("RCPT TO:<" + address + ">")), address + " not sent as is: " + rcpts);
        }
        assertEquals(List.of(SPECIALS, LONG), received.get(0).recipients().subList(1, 3));
        assertTrue(received.get(0).mailFrom().contains(EngineFixture.SENDER), received.get(0).mailFrom());

        MessageSnapshot before = queue.findMessage(id);
        assertEquals(List.of(QUOTED, SPECIALS, LONG, DEFERRED), before.recipients().stream().map(MessageSnapshot.Recipient::address).toList());
        assertEquals(EngineFixture.SENDER, before.reversePath());
        assertTrue(queue.findMessages(null, "q\\\"doe", 0, 10).stream().anyMatch(m -> m.id().equals(id)), "found by a piece of the quoted local part");

        MailQueue again = engine.restart();
        MessageSnapshot after = again.findMessage(id);
        assertEquals(before.recipients().stream().map(MessageSnapshot.Recipient::address).toList(),
                after.recipients().stream().map(MessageSnapshot.Recipient::address).toList());
        assertEquals(before.reversePath(), after.reversePath());
    }

    @Test
    void whatTheChecksRefuseNeverGetsIn() {
        for (String bad : List.of("ren\u00e9@example.org", "a\r\nRCPT TO:<x@example.org>@example.org", "a\u0000@example.org",
                "l".repeat(65) + "@example.org", "a@" + "d".repeat(64) + ".example.org", "x".repeat(60) + "@" + "d.".repeat(96) + "org",
                "\ud800@example.org")) {
            assertThrows(IllegalArgumentException.class, () -> Envelope.of("app@example.org", bad), bad);
            assertThrows(IllegalArgumentException.class, () -> Envelope.of(bad, "ok@example.org"), bad);
        }
    }
}
