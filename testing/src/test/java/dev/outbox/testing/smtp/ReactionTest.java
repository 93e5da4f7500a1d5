package dev.outbox.testing.smtp;

import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Proves what each reaction looks like to a client on a plain socket. */
class ReactionTest {

    private static final Duration DEADLINE = Duration.ofSeconds(5);
    private static final int FIVE_MIB = 5 << 20;

    @AutoClose
    private final ScriptedSmtpServer server = ScriptedSmtpServer.start();

    @Test
    void aRefusalOfTheFinalDotStoresNothingAndEndsTheTransaction() throws Exception {
        server.script(Rules.on(Command.END_OF_DATA).times(1).reply("451 4.3.0 Try later"));
        try (RawClient client = new RawClient(server)) {
            client.reply();
            client.command("MAIL FROM:<a@example.org>");
            client.command("RCPT TO:<b@example.org>");
            client.command("DATA");
            client.write("Subject: refused\r\n\r\nbody\r\n".getBytes(StandardCharsets.US_ASCII));
            assertEquals("451 4.3.0 Try later", client.command("."));
            assertEquals("250 2.1.0 Ok", client.command("MAIL FROM:<a@example.org>"), "a new transaction, not a nested one");
        }
        assertEquals(List.of(), server.received());
    }

    @Test
    void closeIsAnEofWithoutReply() throws Exception {
        server.script(Rules.on(Command.CONNECT).onConnection(1).close());
        try (RawClient client = new RawClient(server)) {
            assertNull(client.reply());
        }
        try (RawClient client = new RawClient(server)) {
            assertEquals("220 scripted ESMTP", client.reply(), "only connection 1 is closed");
        }
    }

    @Test
    void resetIsAConnectionReset() throws Exception {
        server.script(Rules.on(Command.MAIL).reset());
        try (RawClient client = new RawClient(server)) {
            client.reply();
            SocketException reset = assertThrows(SocketException.class, () -> client.command("MAIL FROM:<a@example.org>"));
            assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
        }
    }

    @Test
    void delayThenReplyAnswersAfterTheDelay() throws Exception {
        server.script(Rules.on(Command.NOOP).delayThenReply(Duration.ofMillis(300), "250 2.0.0 Late"));
        try (RawClient client = new RawClient(server)) {
            client.reply();
            long start = System.nanoTime();
            assertEquals("250 2.0.0 Late", client.command("NOOP"));
            assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(300));
        }
    }

    @Test
    void silenceReadsOnButNeverAnswers() throws Exception {
        server.script(Rules.on(Command.MAIL).silence());
        try (RawClient client = new RawClient(server)) {
            client.reply();
            client.socket().setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, () -> client.command("MAIL FROM:<a@example.org>"));
            client.write(new byte[FIVE_MIB]); // drained, so it does not block
            client.socket().setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, client::reply);
        }
        server.awaitOpenConnections(0, DEADLINE); // the client's close ends the silent session
    }

    @Test
    void stopReadingBlocksAClientWritingFiveMebibytesOfData() throws Exception {
        server.script(Rules.on(Command.DATA).stopReading());
        // What a client can write before it blocks is its own send buffer plus the server's
        // receive buffer. Linux sizes a loopback client's send buffer at about 2 MiB unless told,
        // so a default client gets some MiB out; one with a 64 KiB buffer shows how little the
        // server itself takes.
        long defaultClient = writtenBeforeBlocking(0, Duration.ofSeconds(1));
        long smallBufferClient = writtenBeforeBlocking(64 * 1024, Duration.ofMillis(500));

        assertTrue(defaultClient < FIVE_MIB, defaultClient + " bytes written");
        assertTrue(smallBufferClient < 512 * 1024, smallBufferClient + " bytes written");
        assertEquals(0, server.received().size());
    }

    /** Bytes of data a client writes before a write blocks for {@code wait}; the connection is closed after. */
    private long writtenBeforeBlocking(int sendBufferBytes, Duration wait) throws Exception {
        try (RawClient client = new RawClient(server, sendBufferBytes)) {
            client.reply();
            client.command("MAIL FROM:<a@example.org>");
            client.command("RCPT TO:<b@example.org>");
            assertEquals("354 End data with <CR><LF>.<CR><LF>", client.command("DATA"), "the 354 goes out before reading stops");
            AtomicLong written = new AtomicLong();
            CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                byte[] line = "x".repeat(1022).concat("\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    OutputStream out = client.socket().getOutputStream();
                    while (written.get() < FIVE_MIB) {
                        out.write(line);
                        written.addAndGet(line.length);
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            // 5 MiB to loopback takes milliseconds unless the write blocks.
            assertThrows(TimeoutException.class, () -> writer.get(wait.toMillis(), TimeUnit.MILLISECONDS), "the writer blocks");
            long before = written.get();
            client.socket().close(); // the blocked write fails, and the writer ends
            ExecutionException failed = assertThrows(ExecutionException.class, () -> writer.get(5, TimeUnit.SECONDS));
            assertInstanceOf(UncheckedIOException.class, failed.getCause());
            return before;
        }
    }

    @Test
    void acceptThenCloseStoresTheMessageUnacknowledgedAndClosesWithoutReply() throws Exception {
        server.script(Rules.on(Command.END_OF_DATA).acceptThenClose());
        try (RawClient client = new RawClient(server)) {
            client.reply();
            client.command("MAIL FROM:<a@example.org>");
            client.command("RCPT TO:<b@example.org>");
            client.command("DATA");
            client.write("Subject: lost reply\r\n\r\nbody\r\n".getBytes());
            assertNull(client.command("."));
        }
        Received message = server.awaitReceived(1, DEADLINE).get(0);
        assertFalse(message.acknowledged());
        assertEquals("Subject: lost reply\r\n\r\nbody\r\n", message.text());
    }
}
