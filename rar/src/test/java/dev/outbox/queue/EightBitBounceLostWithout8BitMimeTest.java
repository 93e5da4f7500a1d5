package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.api.RecipientState;
import dev.outbox.dsn.DeliveryStatusNotice;
import dev.outbox.dsn.DsnComposer;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a bounce about a message with 8-bit header text (which Outbox accepts) reaches a
 * sender whose server does not offer 8BITMIME: a notice is 7-bit whatever it returns. Before,
 * the notice carried the original's 8-bit header as an 8bit part, Outbox would not send it to
 * that server (5.6.3, permanent), and a notice that fails is dropped (it has a null sender): the
 * sender was never told, typically of the very failure of its own message (no 8BITMIME at the
 * recipient's server).
 */
class EightBitBounceLostWithout8BitMimeTest {

    private static final String CONTENT = "From: app@example.com\r\nTo: ann@a.example\r\nSubject: Gr\u00fc\u00dfe aus K\u00f6ln\r\n\r\n"
            + "Hall\u00f6chen\r\n";

    @Test
    void aBounceAboutAnEightBitMessageReachesASenderWithout8BitMime() throws Exception {
        try (EngineFixture engine = new EngineFixture().notices(Duration.ZERO)) {
            engine.server("a.example").extensions("SIZE 104857600");
            ScriptedSmtpServer senders = engine.server("example.com").extensions("SIZE 104857600");
            MailQueue queue = engine.start();
            Submission mail = Submission.of(new ByteArrayInputStream(CONTENT.getBytes(StandardCharsets.UTF_8)),
                    Envelope.of("app@example.com", List.of("ann@a.example")), new SubmitLimits(1 << 20, 10), "outbox.test");
            String id = queue.submit(mail);
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            assertEquals(RecipientState.BOUNCED, engine.lastState(id, "ann@a.example"), "refused: no 8BITMIME at the recipient's server");
            assertEquals(0, queue.noticesWithheldCount(), "the bounce itself was refused and dropped");
            List<Received> notices = senders.received();
            assertEquals(1, notices.size(), "the sender is told");
            assertSevenBit(notices.get(0).data());
        }
    }

    @ParameterizedTest
    @EnumSource(DeliveryStatusNotice.Return.class)
    void aNoticeIsSevenBitWhateverItReturns(DeliveryStatusNotice.Return returned) {
        Notice notice = new Notice(Notice.Kind.FAILED, "01MBFYTJM0MANFSHFF15N948H6", "app@example.com", 0, 1,
                List.of(new Notice.Recipient("ann@a.example", RecipientState.BOUNCED, 550, "550 5.1.1 no", "mx.a.example", 1)));
        byte[] written = new DsnComposer(new DeliveryStatusNotice("outbox.test"), returned)
                .compose(notice, CONTENT.getBytes(StandardCharsets.UTF_8));
        assertSevenBit(written);
        String text = new String(written, StandardCharsets.US_ASCII);
        assertTrue(text.contains("Subject: Gr=C3=BC=C3=9Fe aus K=C3=B6ln"), text);
    }

    private static void assertSevenBit(byte[] notice) {
        for (int i = 0; i < notice.length; i++) {
            int at = i;
            assertTrue(notice[i] > 0, () -> "an 8-bit byte at " + at + ": " + new String(notice, StandardCharsets.ISO_8859_1));
        }
    }
}
