package dev.outbox.queue;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Review of the id as two longs (branch store-in-message): an operator's look-up by an id that
 * is null (a JMX console passes null for an empty String field) found nothing before, and the
 * operations said "no queued message has id"; RecipientLedger.find now reads the id through
 * QueuedMessage.IdKey.of, which throws a NullPointerException for it.
 */
class NullIdLookupReviewTest {

    @Test
    void aNullIdFindsNothingAndIsRefusedAsAnUnknownId() {
        try (EngineFixture engine = new EngineFixture()) {
            MailQueue queue = engine.start();
            engine.hold();
            engine.submit("queued", "ann@a.example");
            assertNull(queue.findMessage(null));
            assertEquals("", queue.messageHeaders(null, 100));
            assertThrows(IllegalArgumentException.class, () -> queue.deleteMessage(null));
            engine.release();
        }
    }
}
