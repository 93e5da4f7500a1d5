package dev.outbox.testing.smtp;

import jakarta.mail.Address;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import org.eclipse.angus.mail.smtp.SMTPAddressFailedException;
import org.eclipse.angus.mail.smtp.SMTPSendFailedException;
import org.eclipse.angus.mail.smtp.SMTPTransport;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Properties;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the server against the client it is made for, Angus's SMTPTransport: delivery as
 * Angus does it, and each fault as Angus reports it.
 */
class AngusClientTest {

    private static final Duration DEADLINE = Duration.ofSeconds(5);

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void twoMessagesOverOneConnectionArriveByteForByteDotsIncluded() throws Exception {
        byte[] first = content("first", ".\r\n..\r\n.leading dot\r\nmiddle . dot\r\n");
        byte[] second = content("second", "plain\r\n");
        try (SMTPTransport transport = connect(false)) {
            transport.sendMessage(message(first), addresses("ann@example.org"));
            transport.sendMessage(message(second), addresses("bob@example.org", "cy@example.org"));
        }

        List<Received> received = server.awaitReceived(2, DEADLINE);
        assertArrayEquals(first, received.get(0).data());
        assertArrayEquals(second, received.get(1).data());
        assertEquals("<app@example.org>", received.get(0).mailFrom());
        assertEquals(List.of("bob@example.org", "cy@example.org"), received.get(1).recipients());
        assertEquals(1, received.get(1).connection());
        assertEquals(1, server.connectionsAccepted());
        assertEquals(1, server.count(Command.QUIT));
    }

    @Test
    void recipientsBeyondTheLimitGet452AndTheRestAreDelivered() throws Exception {
        server.script(Rules.recipientsPerTransaction(3, "452 4.5.3 Too many recipients"));
        try (SMTPTransport transport = connect(true)) {
            SMTPSendFailedException partial = assertThrows(SMTPSendFailedException.class, () -> transport.sendMessage(
                    message(content("many", "x\r\n")), addresses("a@example.org", "b@example.org", "c@example.org", "d@example.org")));
            // A 4xx leaves the address valid but unsent: Angus's word for "try it again later".
            assertEquals(List.of(new InternetAddress("d@example.org")), List.of(partial.getValidUnsentAddresses()));
            SMTPAddressFailedException refused = assertInstanceOf(SMTPAddressFailedException.class, partial.getNextException());
            assertEquals(452, refused.getReturnCode());
        }

        Received message = server.awaitReceived(1, DEADLINE).get(0);
        assertEquals(List.of("a@example.org", "b@example.org", "c@example.org"), message.recipients());
        assertEquals(4, server.count(Command.RCPT));
    }

    @Test
    void closeAtTheFinalDotIsAnEofToTheClient() throws Exception {
        server.script(Rules.on(Command.END_OF_DATA).close());

        SMTPTransport transport = connect(false);
        assertThrows(MessagingException.class, () -> transport.sendMessage(message(content("eof", "x\r\n")), addresses("a@example.org")));
        assertEquals("[EOF]", transport.getLastServerResponse());
        closeAfterFailure(transport);

        assertEquals(List.of(), server.received());
    }

    @Test
    void silenceMakesAClientWithAOneSecondReadTimeoutTimeOut() throws Exception {
        server.script(Rules.on(Command.MAIL).silence());

        SMTPTransport transport = connect(false);
        long start = System.nanoTime();
        MessagingException failure = assertThrows(MessagingException.class,
                () -> transport.sendMessage(message(content("silent", "x\r\n")), addresses("a@example.org")));
        long millis = (System.nanoTime() - start) / 1_000_000;
        closeAfterFailure(transport);

        assertTrue(causes(failure).stream().anyMatch(SocketTimeoutException.class::isInstance), failure.toString());
        assertTrue(millis >= 900 && millis < 4_000, millis + " ms");
    }

    @Test
    void acceptThenCloseStoresWhatTheClientThinksFailed() throws Exception {
        server.script(Rules.on(Command.END_OF_DATA).onConnection(1).acceptThenClose());
        byte[] content = content("twice", "x\r\n");

        SMTPTransport first = connect(false);
        assertThrows(MessagingException.class, () -> first.sendMessage(message(content), addresses("a@example.org")));
        closeAfterFailure(first);
        try (SMTPTransport second = connect(false)) {
            second.sendMessage(message(content), addresses("a@example.org")); // the client tries again
        }

        List<Received> received = server.awaitReceived(2, DEADLINE);
        assertFalse(received.get(0).acknowledged());
        assertTrue(received.get(1).acknowledged());
        assertArrayEquals(received.get(0).data(), received.get(1).data(), "the same message, stored twice");
    }

    /** A connected transport with a 1 s read timeout; {@code sendPartial} as Angus's mail.smtp.sendpartial. */
    private SMTPTransport connect(boolean sendPartial) throws MessagingException {
        Properties properties = new Properties();
        properties.setProperty("mail.smtp.host", server.host());
        properties.setProperty("mail.smtp.port", Integer.toString(server.port()));
        properties.setProperty("mail.smtp.localhost", "client.test");
        properties.setProperty("mail.smtp.from", "app@example.org");
        properties.setProperty("mail.smtp.connectiontimeout", "1000");
        properties.setProperty("mail.smtp.timeout", "1000");
        properties.setProperty("mail.smtp.sendpartial", Boolean.toString(sendPartial));
        SMTPTransport transport = (SMTPTransport) Session.getInstance(properties).getTransport("smtp");
        transport.connect();
        return transport;
    }

    /** Angus keeps a transport whose server went away "connected"; its QUIT then fails, which is not what these tests look at. */
    private static void closeAfterFailure(SMTPTransport transport) {
        try {
            transport.close();
        } catch (MessagingException expected) {
            // The socket is gone: the failure the test provoked.
        }
    }

    private static MimeMessage message(byte[] content) throws MessagingException {
        return new MimeMessage(Session.getInstance(new Properties()), new ByteArrayInputStream(content));
    }

    private static byte[] content(String subject, String body) {
        return ("From: app@example.org\r\nTo: team@example.org\r\nSubject: " + subject + "\r\nMessage-ID: <" + subject + "@example.org>\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII);
    }

    private static Address[] addresses(String... addresses) throws MessagingException {
        Address[] result = new Address[addresses.length];
        for (int i = 0; i < addresses.length; i++) {
            result[i] = new InternetAddress(addresses[i]);
        }
        return result;
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> chain = new java.util.ArrayList<>();
        for (Throwable t = failure; t != null && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }
}
