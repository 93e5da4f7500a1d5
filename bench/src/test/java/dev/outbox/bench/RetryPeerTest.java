package dev.outbox.bench;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The merge lane's peer defers every recipient exactly once, and notes when it refused and when it accepted it. */
class RetryPeerTest {

    @Test
    void theFirstRcptOfAnAddressGets451AndTheNextIsAcceptedAndTimed() throws Exception {
        try (RetryPeer peer = RetryPeer.start()) {
            Properties properties = new Properties();
            properties.put("mail.smtp.host", "127.0.0.1");
            properties.put("mail.smtp.port", Integer.toString(peer.port()));
            properties.put("mail.smtp.from", "sender@example.com");
            Session session = Session.getInstance(properties);
            MimeMessage message = new MimeMessage(session,
                    new ByteArrayInputStream("Subject: retry\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII)));
            Address[] to = {new InternetAddress("R1@D001.merge.example")};
            try (Transport transport = session.getTransport("smtp")) {
                transport.connect();
                MessagingException refused = assertThrows(MessagingException.class, () -> transport.sendMessage(message, to));
                assertTrue(String.valueOf(refused.getNextException()).contains("451"), String.valueOf(refused.getNextException()));
                long afterRefusal = System.currentTimeMillis();
                transport.sendMessage(message, to);

                assertTrue(peer.refusedAt("r1@d001.merge.example") > 0);
                assertTrue(peer.acceptedAt("r1@d001.merge.example") >= peer.refusedAt("r1@d001.merge.example"));
                assertTrue(peer.acceptedAt("r1@d001.merge.example") >= afterRefusal - 1);
                assertEquals(1, peer.accepted());
                transport.sendMessage(message, to);
                assertEquals(1, peer.repeats());
            }
        }
    }

    @Test
    void theAddressIsTakenFromTheRcptArgument() {
        assertEquals("a@b.example", RetryPeer.address("TO:<A@B.example> NOTIFY=NEVER"));
        assertEquals("a@b.example", RetryPeer.address("TO: a@b.example"));
    }
}
