package dev.outbox.dsn;

import jakarta.mail.BodyPart;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetHeaders;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.dsn.DeliveryStatus;
import org.eclipse.angus.mail.dsn.MultipartReport;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every notice is parsed back with Angus (MimeMessage, MultipartReport, DeliveryStatus) and read field by field. */
class DeliveryStatusNoticeTest {

    private static final Session SESSION = Session.getInstance(new Properties());
    private static final Instant ARRIVAL = Instant.parse("2026-12-06T10:00:00Z");
    private static final Instant ATTEMPT = Instant.parse("2026-12-06T10:00:05Z");
    private static final Instant NOW = Instant.parse("2026-12-06T10:00:06Z");
    private static final String ORIGINAL = "From: app@shop.example\n"
            + "To: alice@example.org, bob@example.org, carol@example.org\n"
            + "Subject: Your order\n"
            + "Message-ID: <order-1@shop.example>\n"
            + "\n"
            + "Thank you for your order.\n";

    private final DeliveryStatusNotice notices = new DeliveryStatusNotice("out.shop.example");

    private static DeliveryStatusNotice.Original original() {
        return new DeliveryStatusNotice.Original("app@shop.example", "<order-1@shop.example>",
                ORIGINAL.getBytes(StandardCharsets.US_ASCII), ARRIVAL);
    }

    @Test
    void aRejectedRecipientOfThreeIsTheOnlyOneNamed() throws Exception {
        String reply = "550 5.1.1 <bob@example.org>: Recipient address rejected: User unknown";
        byte[] dsn = notices.compose(original(), List.of(RecipientStatus.failed("bob@example.org",
                EnhancedStatus.of(550, reply), "mx1.example.org", reply, ATTEMPT)), DeliveryStatusNotice.Return.HEADERS, NOW);

        assertCrlfOnly(dsn);
        MimeMessage message = parse(dsn);
        assertEquals("<app@shop.example>", message.getHeader("To", null));
        assertEquals("Mail Delivery System <MAILER-DAEMON@out.shop.example>", message.getHeader("From", null));
        assertEquals("Undelivered Mail Returned to Sender", message.getSubject());
        assertEquals("auto-replied", message.getHeader("Auto-Submitted", null));
        assertEquals(NOW, message.getSentDate().toInstant());
        assertTrue(message.getMessageID().endsWith("@out.shop.example>"), message.getMessageID());
        assertTrue(message.isMimeType("multipart/report"));
        assertTrue(message.getContentType().contains("report-type=delivery-status"), message.getContentType());

        MultipartReport report = assertInstanceOf(MultipartReport.class, message.getContent());
        assertEquals(3, report.getCount());
        String text = report.getText();
        assertTrue(text.contains("<bob@example.org>: failed, status 5.1.1, host mx1.example.org said:"), text);
        assertTrue(text.contains(reply), text);
        assertFalse(text.contains("alice") || text.contains("carol"), text);

        DeliveryStatus status = report.getDeliveryStatus();
        assertEquals("dns; out.shop.example", status.getMessageDSN().getHeader("Reporting-MTA", null));
        assertEquals("Sun, 6 Dec 2026 10:00:00 +0000", status.getMessageDSN().getHeader("Arrival-Date", null));
        assertEquals(1, status.getRecipientDSNCount());
        InternetHeaders bob = status.getRecipientDSN(0);
        assertEquals("rfc822; bob@example.org", bob.getHeader("Final-Recipient", null));
        assertEquals("failed", bob.getHeader("Action", null));
        assertEquals("5.1.1", bob.getHeader("Status", null));
        assertEquals("dns; mx1.example.org", bob.getHeader("Remote-MTA", null));
        assertEquals("smtp; " + reply, unfold(bob.getHeader("Diagnostic-Code", null)));
        assertEquals("Sun, 6 Dec 2026 10:00:05 +0000", bob.getHeader("Last-Attempt-Date", null));
        assertNull(bob.getHeader("Will-Retry-Until"));
        assertTrue(new String(dsn, StandardCharsets.US_ASCII).contains(
                "\r\n\r\nFinal-Recipient: rfc822; bob@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: "),
                "fields in RFC 3464's order");

        BodyPart returned = report.getBodyPart(2);
        assertTrue(returned.isMimeType("text/rfc822-headers"), returned.getContentType());
        String header = new String(returned.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
        assertTrue(header.contains("Message-ID: <order-1@shop.example>\r\n"), header);
        assertFalse(header.contains("Thank you"), header);
    }

    @Test
    void anExpiredMessageFailsWith547() throws Exception {
        byte[] dsn = notices.compose(original(), List.of(RecipientStatus.failed("alice@example.org",
                EnhancedStatus.EXPIRED, "mx1.example.org", "451 4.3.0 Temporary lookup failure", ATTEMPT)),
                DeliveryStatusNotice.Return.HEADERS, NOW);

        MimeMessage message = parse(dsn);
        assertEquals("Undelivered Mail Returned to Sender", message.getSubject());
        InternetHeaders alice = ((MultipartReport) message.getContent()).getDeliveryStatus().getRecipientDSN(0);
        assertEquals("failed", alice.getHeader("Action", null));
        assertEquals("5.4.7", alice.getHeader("Status", null));
        assertEquals("smtp; 451 4.3.0 Temporary lookup failure", alice.getHeader("Diagnostic-Code", null));
    }

    @Test
    void aDelayNoticeSaysDelayedWithA4xxStatus() throws Exception {
        Instant until = Instant.parse("2026-12-11T10:00:00Z");
        String reply = "452 4.2.2 Mailbox full";
        byte[] dsn = notices.compose(original(), List.of(RecipientStatus.delayed("carol@example.org",
                EnhancedStatus.of(452, reply), "mx2.example.org", reply, ATTEMPT, until)),
                DeliveryStatusNotice.Return.HEADERS, NOW);

        MimeMessage message = parse(dsn);
        assertEquals("Delayed Mail (still being retried)", message.getSubject());
        MultipartReport report = (MultipartReport) message.getContent();
        InternetHeaders carol = report.getDeliveryStatus().getRecipientDSN(0);
        assertEquals("delayed", carol.getHeader("Action", null));
        assertEquals("4.2.2", carol.getHeader("Status", null));
        assertEquals("Fri, 11 Dec 2026 10:00:00 +0000", carol.getHeader("Will-Retry-Until", null));
        assertTrue(report.getText().contains("still being retried"), report.getText());
        assertThrows(IllegalArgumentException.class, () -> RecipientStatus.delayed("carol@example.org",
                EnhancedStatus.EXPIRED, null, null, ATTEMPT, until));
    }

    @Test
    void aNullMxFailsWith5110AndNoRemoteMta() throws Exception {
        String reply = "556 5.1.10 example.net accepts no mail (null MX)";
        byte[] dsn = notices.compose(original(), List.of(RecipientStatus.failed("dave@example.net",
                EnhancedStatus.of(556, reply), null, reply, null)), DeliveryStatusNotice.Return.HEADERS, NOW);

        InternetHeaders dave = ((MultipartReport) parse(dsn).getContent()).getDeliveryStatus().getRecipientDSN(0);
        assertEquals("5.1.10", dave.getHeader("Status", null));
        assertEquals("failed", dave.getHeader("Action", null));
        assertNull(dave.getHeader("Remote-MTA"));
        assertNull(dave.getHeader("Last-Attempt-Date"));
        assertEquals("X-Outbox; " + reply, dave.getHeader("Diagnostic-Code", null));
    }

    @Test
    void aHostileReplyAndAddressesCreateNoHeaderOrField() throws Exception {
        String reply = "550 5.7.1 no\r\nX-Injected: yes\r\n\r\n--fake\u0000boundary\nBcc: victim@example.com";
        DeliveryStatusNotice.Original original = new DeliveryStatusNotice.Original("app@shop.example\r\nX-Evil: 1",
                "<order-1@shop.example>", ORIGINAL.getBytes(StandardCharsets.US_ASCII), ARRIVAL);
        byte[] dsn = notices.compose(original, List.of(RecipientStatus.failed("eve@example.org\r\nX-Field: 1",
                EnhancedStatus.of(550, reply), "mx.example.org\nX-Host: 1", reply, ATTEMPT)),
                DeliveryStatusNotice.Return.HEADERS, NOW);

        assertCrlfOnly(dsn);
        String raw = new String(dsn, StandardCharsets.ISO_8859_1);
        assertFalse(raw.contains("\u0000"));
        for (String line : raw.split("\r\n")) {
            for (String injected : List.of("X-Injected", "Bcc", "X-Evil", "X-Field", "X-Host", "--fake")) {
                assertFalse(line.startsWith(injected), "a line of its own: " + line);
            }
        }
        MimeMessage message = parse(dsn);
        assertNull(message.getHeader("X-Injected"));
        assertNull(message.getHeader("X-Evil"));
        assertNull(message.getHeader("Bcc"));
        MultipartReport report = (MultipartReport) message.getContent();
        assertEquals(3, report.getCount());
        InternetHeaders eve = report.getDeliveryStatus().getRecipientDSN(0);
        assertNull(eve.getHeader("X-Injected"));
        assertNull(eve.getHeader("X-Field"));
        assertNull(eve.getHeader("X-Host"));
        assertEquals("5.7.1", eve.getHeader("Status", null));
        assertEquals("smtp; 550 5.7.1 no X-Injected: yes --fake?boundary Bcc: victim@example.com",
                unfold(eve.getHeader("Diagnostic-Code", null)));
    }

    @Test
    void aSmallOriginalIsReturnedWholeWhenAskedALargeOneByItsHeader() throws Exception {
        RecipientStatus bob = RecipientStatus.failed("bob@example.org", new EnhancedStatus(5, 0, 0), null, null, null);
        MultipartReport whole = (MultipartReport) parse(notices.compose(original(), List.of(bob),
                DeliveryStatusNotice.Return.FULL, NOW)).getContent();
        assertTrue(whole.getBodyPart(2).isMimeType("message/rfc822"));
        MimeMessage returned = whole.getReturnedMessage();
        assertEquals("<order-1@shop.example>", returned.getMessageID());

        DeliveryStatusNotice small = new DeliveryStatusNotice("out.shop.example", "postmaster@shop.example", 10);
        MimeMessage message = parse(small.compose(original(), List.of(bob), DeliveryStatusNotice.Return.FULL, NOW));
        assertEquals("Mail Delivery System <postmaster@shop.example>", message.getHeader("From", null));
        assertTrue(((MultipartReport) message.getContent()).getBodyPart(2).isMimeType("text/rfc822-headers"));
    }

    @Test
    void anOriginalHeaderWithEightBitBytesIsReturnedQuotedPrintableAndTheNoticeIsSevenBit() throws Exception {
        byte[] header = "From: app@shop.example\r\nSubject: Gr\u00fc\u00dfe aus K\u00f6ln\r\nMessage-ID: <order-1@shop.example>\r\n"
                .getBytes(StandardCharsets.UTF_8);
        byte[] content = (new String(header, StandardCharsets.ISO_8859_1) + "\r\nThank you.\r\n").getBytes(StandardCharsets.ISO_8859_1);
        RecipientStatus bob = RecipientStatus.failed("bob@example.org", EnhancedStatus.of(550, "550 5.1.1 unknown"), "mx1.example.org",
                "550 5.1.1 unknown", ATTEMPT);
        byte[] dsn = notices.compose(new DeliveryStatusNotice.Original("app@shop.example", "<order-1@shop.example>", content, ARRIVAL),
                List.of(bob), DeliveryStatusNotice.Return.HEADERS, NOW);

        for (int i = 0; i < dsn.length; i++) {
            assertTrue(dsn[i] > 0, "an 8-bit byte at " + i + ": a server without 8BITMIME cannot take the notice");
        }
        BodyPart returned = ((MultipartReport) parse(dsn).getContent()).getBodyPart(2);
        assertTrue(returned.isMimeType("text/rfc822-headers"), returned.getContentType());
        assertEquals("quoted-printable", returned.getHeader("Content-Transfer-Encoding")[0]);
        assertArrayEquals(header, returned.getInputStream().readAllBytes(), "decoded, the original's header byte for byte");
    }

    @Test
    void anEightBitOriginalAskedForWholeIsReturnedAsItsHeaderSoTheNoticeStaysSevenBit() throws Exception {
        byte[] content = "From: app@shop.example\r\nSubject: order\r\nMessage-ID: <order-2@shop.example>\r\n\r\nGr\u00fc\u00dfe\r\n"
                .getBytes(StandardCharsets.UTF_8);
        RecipientStatus bob = RecipientStatus.failed("bob@example.org", EnhancedStatus.of(550, "550 5.1.1 unknown"), "mx1.example.org",
                "550 5.1.1 unknown", ATTEMPT);
        byte[] dsn = notices.compose(new DeliveryStatusNotice.Original("app@shop.example", "<order-2@shop.example>", content, ARRIVAL),
                List.of(bob), DeliveryStatusNotice.Return.FULL, NOW);

        for (int i = 0; i < dsn.length; i++) {
            assertTrue(dsn[i] > 0, "an 8-bit byte at " + i + ": a server without 8BITMIME cannot take the notice");
        }
        BodyPart returned = ((MultipartReport) parse(dsn).getContent()).getBodyPart(2);
        assertTrue(returned.isMimeType("text/rfc822-headers"), "an 8-bit original comes back as its header: " + returned.getContentType());
    }

    @Test
    void noNoticeAboutANotice() {
        assertThrows(IllegalArgumentException.class, () -> new DeliveryStatusNotice.Original("", "<x@y>", new byte[0], ARRIVAL));
        assertThrows(IllegalArgumentException.class, () -> new DeliveryStatusNotice.Original("<>", "<x@y>", new byte[0], ARRIVAL));
        assertThrows(IllegalArgumentException.class, () -> new DeliveryStatusNotice("bad host\r\nX: 1"));
        assertThrows(IllegalArgumentException.class, () -> new DeliveryStatusNotice("out.example", "x@y\r\nBcc: z@w", 10));
    }

    /**
     * A delivery thread whose context class loader sees neither the dsn jar and its mailcap nor
     * Angus's stream encoders: composing works all the same and leaves that loader in place.
     */
    @Test
    void composingNeedsNothingFromTheContextClassLoader() throws Exception {
        RecipientStatus bob = RecipientStatus.failed("bob@example.org", EnhancedStatus.of(550, "550 5.1.1 unknown"),
                "mx1.example.org", "550 5.1.1 unknown", ATTEMPT);
        Thread thread = Thread.currentThread();
        ClassLoader saved = thread.getContextClassLoader();
        byte[] dsn;
        try (URLClassLoader blind = new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
            assertNull(blind.getResource("META-INF/mailcap"));
            thread.setContextClassLoader(blind);
            dsn = notices.compose(original(), List.of(bob), DeliveryStatusNotice.Return.FULL, NOW);
            assertSame(blind, thread.getContextClassLoader());
        } finally {
            thread.setContextClassLoader(saved);
        }
        InternetHeaders fields = ((MultipartReport) parse(dsn).getContent()).getDeliveryStatus().getRecipientDSN(0);
        assertEquals("5.1.1", fields.getHeader("Status", null));
        assertEquals("rfc822; bob@example.org", fields.getHeader("Final-Recipient", null));
    }

    @Test
    void theOriginalsLineEndsBecomeCrlf() {
        assertArrayEquals("a\r\nb\r\nc\r\n".getBytes(StandardCharsets.US_ASCII),
                DeliveryStatusNotice.crlf("a\nb\rc".getBytes(StandardCharsets.US_ASCII)));
        assertArrayEquals("A: 1\r\n".getBytes(StandardCharsets.US_ASCII),
                DeliveryStatusNotice.headerSection("A: 1\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
    }

    private static MimeMessage parse(byte[] dsn) throws Exception {
        MimeMessage message = new MimeMessage(SESSION, new ByteArrayInputStream(dsn));
        assertNotNull(message.getContentType());
        return message;
    }

    private static String unfold(String value) {
        return value.replaceAll("\r\n[ \t]", " ");
    }

    private static void assertCrlfOnly(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] == '\n') {
                assertTrue(i > 0 && bytes[i - 1] == '\r', "a bare LF at " + i);
            }
            if (bytes[i] == '\r') {
                assertTrue(i + 1 < bytes.length && bytes[i + 1] == '\n', "a bare CR at " + i);
            }
        }
    }
}
