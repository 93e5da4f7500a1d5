package dev.outbox.testing.smtp;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the server byte by byte with a plain socket: the default dialogue and what it records,
 * each reaction as a client sees it on the wire, and that close() ends every thread it started.
 */
class ScriptedSmtpServerTest {

    private static final Duration DEADLINE = Duration.ofSeconds(5);

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void defaultDialogueStoresTheMessageAsSentAndRecordsTheTranscript() throws Exception {
        byte[] content = "Subject: caf\u00e9\r\n\r\n.\r\n..two\r\nmid . dot\r\n\u00ff bytes\n.bare LF line\r\nlast\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        byte[] stuffed = "Subject: caf\u00e9\r\n\r\n..\r\n...two\r\nmid . dot\r\n\u00ff bytes\n.bare LF line\r\nlast\r\n"
                .getBytes(StandardCharsets.ISO_8859_1);
        try (RawClient client = new RawClient(server)) {
            assertEquals("220 scripted ESMTP", client.reply());
            assertEquals("250-scripted greets client.test\n250-8BITMIME\n250-SIZE 104857600\n250 ENHANCEDSTATUSCODES",
                    client.command("EHLO client.test"));
            assertEquals("250 2.1.0 Ok", client.command("MAIL FROM:<app@example.org> BODY=8BITMIME"));
            assertEquals("250 2.1.5 Ok", client.command("RCPT TO:<ann@example.org> NOTIFY=NEVER"));
            assertEquals("250 2.1.5 Ok", client.command("rcpt to:<bob@example.org>"));
            assertEquals("354 End data with <CR><LF>.<CR><LF>", client.command("DATA"));
            client.write(stuffed);
            assertEquals("250 2.0.0 Ok: queued as 1", client.command("."));
            assertEquals("221 2.0.0 Bye", client.command("QUIT"));
            assertNull(client.reply(), "the server closes after 221");
        }

        Received message = server.awaitReceived(1, DEADLINE).get(0);
        assertEquals(1, message.connection());
        assertEquals("<app@example.org> BODY=8BITMIME", message.mailFrom());
        assertEquals(List.of("ann@example.org", "bob@example.org"), message.recipients());
        assertArrayEquals(content, message.data());
        assertTrue(message.acknowledged());
        assertEquals("caf\u00e9", message.header("subject").orElseThrow());
        assertEquals(List.of("1 S: 220 scripted ESMTP", "1 C: EHLO client.test"), server.transcript().subList(0, 2));
        assertTrue(server.transcript().contains("1 C: ."), server.transcript().toString());
        assertEquals(2, server.count(Command.RCPT));
        assertEquals(1, server.count(Command.END_OF_DATA));
        assertEquals(1, server.connectionsAccepted());
        server.awaitOpenConnections(0, DEADLINE);
    }

    @Test
    void commandsOutOfOrderAreRefusedAndStoreNothing() throws Exception {
        try (RawClient client = new RawClient(server)) {
            client.reply();
            assertEquals("250 scripted", client.command("HELO client.test"));
            assertEquals("503 5.5.1 Error: need MAIL command", client.command("RCPT TO:<ann@example.org>"));
            assertEquals("554 5.5.1 Error: no valid recipients", client.command("DATA"));
            assertEquals("250 2.1.0 Ok", client.command("MAIL FROM:<>"));
            assertEquals("503 5.5.1 Error: nested MAIL command", client.command("MAIL FROM:<>"));
            assertEquals("250 2.0.0 Ok", client.command("RSET"));
            assertEquals("503 5.5.1 Error: need MAIL command", client.command("RCPT TO:<ann@example.org>"));
            assertEquals("500 5.5.2 Error: command not recognized", client.command("VRFY ann"));
            assertEquals("250 2.0.0 Ok", client.command("NOOP"));
        }
        assertEquals(List.of(), server.received());
        assertEquals(1, server.count(Command.OTHER));
    }

    @Test
    void rulesFireInTheOrderAddedOnTheirConnectionAndOnlyAsOftenAsAllowed() throws Exception {
        server.extensions("SIZE 1000")
                .script(Rules.on(Command.MAIL).onConnection(2).times(1).reply("451 4.3.0 Try again"))
                .script(Rules.on(Command.MAIL).when(e -> e.argument().contains("<blocked@")).reply("550 5.7.1 Blocked"))
                .script(Rules.on(Command.EHLO).when(e -> e.argument().equals("multi")).reply("250-first\n250 last"));
        try (RawClient first = new RawClient(server)) {
            first.reply();
            try (RawClient second = new RawClient(server)) {
                second.reply();
                assertEquals("250-scripted greets a\n250 SIZE 1000", first.command("EHLO a"));
                assertEquals("250-first\n250 last", second.command("EHLO multi"));
                assertEquals("250 2.1.0 Ok", first.command("MAIL FROM:<a@example.org>"));
                assertEquals("451 4.3.0 Try again", second.command("MAIL FROM:<blocked@example.org>"), "the first rule added wins");
                assertEquals("550 5.7.1 Blocked", second.command("MAIL FROM:<blocked@example.org>"), "the first rule has fired its one time");
                assertEquals("250 2.1.0 Ok", second.command("MAIL FROM:<a@example.org>"));
            }
        }
    }

    @Test
    void closeEndsEveryThreadItStartedEvenWhileSilentNotReadingOrDelaying() throws Exception {
        server.script(Rules.on(Command.CONNECT).onConnection(1).silence())
                .script(Rules.on(Command.CONNECT).onConnection(2).stopReading())
                .script(Rules.on(Command.CONNECT).onConnection(3).delayThenReply(Duration.ofMinutes(1), "220 late"));
        try (RawClient silent = new RawClient(server); RawClient deaf = new RawClient(server); RawClient waiting = new RawClient(server)) {
            server.awaitOpenConnections(3, DEADLINE);
            long start = System.nanoTime();
            server.close();
            assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(2), "close() does not wait out the delay");
            assertNull(silent.reply());
            assertNull(deaf.reply());
            assertNull(waiting.reply());
        }
        String prefix = "scripted-smtp-" + server.port() + "-";
        List<String> alive = Thread.getAllStackTraces().keySet().stream().map(Thread::getName).filter(n -> n.startsWith(prefix)).toList();
        assertEquals(List.of(), alive);
        assertEquals(0, server.openConnections());
        assertThrows(IOException.class, () -> new RawClient(server).close(), "nothing listens any more");
    }

    @Test
    void aFixedPortCanBeTakenAgainRightAfterClose() throws Exception {
        int port = server.port();
        try (RawClient client = new RawClient(server)) {
            client.reply();
            client.command("QUIT");
        }
        server.close();
        try (ScriptedSmtpServer again = ScriptedSmtpServer.start("127.0.0.1", port); RawClient client = new RawClient(again)) {
            assertEquals(port, again.port());
            assertEquals("220 scripted ESMTP", client.reply());
        }
    }

    @Test
    void aRuleThatThrowsResetsTheConnectionAndFailsClose() throws Exception {
        assertResetAndReportedByClose(exchange -> {
            if (exchange.command() == Command.RSET) {
                throw new IllegalStateException("broken rule");
            }
            return null;
        }, "RSET", "broken rule");
    }

    @Test
    void acceptThenCloseAnywhereButTheFinalDotIsReportedByClose() throws Exception {
        assertResetAndReportedByClose(Rules.on(Command.MAIL).acceptThenClose(), "MAIL FROM:<a@example.org>",
                "acceptThenClose() is for END_OF_DATA, not MAIL");
    }

    @Test
    void awaitReceivedFailsWithWhatArrived() throws Exception {
        try (RawClient client = new RawClient(server)) {
            client.reply();
            client.command("EHLO late.example");
        }
        AssertionError failure = assertThrows(AssertionError.class, () -> server.awaitReceived(1, Duration.ofMillis(50)));
        assertTrue(failure.getMessage().startsWith("expected 1 messages on port " + server.port() + ", received []"), failure.getMessage());
        assertTrue(failure.getMessage().contains("1 C: EHLO late.example"), failure.getMessage());
        assertTrue(failure.getMessage().endsWith("not within PT0.05S"), failure.getMessage());
    }

    @Test
    void headerIsFoundInAnyCaseUnfoldedAndOnlyInTheHeaderSection() {
        byte[] data = "Subject: one\r\n two\r\nX-Empty:\r\n\r\nBody-Field: not a header\r\n".getBytes(StandardCharsets.US_ASCII);
        Received message = new Received(1, "<>", List.of("a@example.org"), data, true);

        assertEquals("one two", message.header("SUBJECT").orElseThrow());
        assertEquals("", message.header("x-empty").orElseThrow());
        assertFalse(message.header("Body-Field").isPresent());
    }

    /** {@code rule} resets the connection at {@code command}, and close() fails naming {@code reported}. */
    private void assertResetAndReportedByClose(Rule rule, String command, String reported) throws IOException {
        server.script(rule);
        try (RawClient client = new RawClient(server)) {
            client.reply();
            assertThrows(SocketException.class, () -> client.command(command));
        }
        AssertionError failure = assertThrows(AssertionError.class, server::close);
        assertTrue(failure.getMessage().contains(reported), failure.getMessage());
    }
}
