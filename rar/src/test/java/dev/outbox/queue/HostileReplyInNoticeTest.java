package dev.outbox.queue;

import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a hostile remote reply (control characters, a NUL, a line that looks like a header
 * field, 3000 characters) reaches a bounce only as one safe line, whether the bounce is made at
 * once or from the journal after a crash: no line of the notice over 998 octets, no NUL or bare
 * control character, no injected field.
 */
class HostileReplyInNoticeTest {

    @TempDir
    Path directory;

    @ParameterizedTest(name = "crash before the notice is stored: {0}")
    @ValueSource(booleans = {false, true})
    void aHostileReplyReachesTheBounceAsOneSafeLine(boolean crash) {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).reply("550-5.1.1 first\u0000 \u001b[31mline\u0007\n550-Subject: injected\n"
                    + "550-X-Injected: yes\n550 5.1.1 " + "x".repeat(3000)));
            engine.start();
            if (crash) {
                store.get().crashAfter(2); // the submit's add and the mark: the notice is made after the restart, from the journal
            }
            String id = engine.submit("victim", "ann@a.example");
            engine.await(() -> engine.transitions().stream().anyMatch(t -> t.messageId().equals(id) && t.to().isTerminal())
                    && engine.idle(), "bounced");
            if (crash) {
                engine.restart();
            }
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");
            List<Received> notices = senders.received();
            assertEquals(1, notices.size());
            String text = notices.get(0).text();
            for (String line : text.split("\r\n", -1)) {
                assertTrue(line.length() <= 998, () -> "a line of " + line.length() + " octets: " + line.substring(0, 80));
                for (char c : line.toCharArray()) {
                    assertTrue(c >= 0x20 && c < 0x7f || c == '\t', () -> "control character " + (int) c + " in line: " + line);
                }
                assertFalse(line.startsWith("Subject: injected") || line.startsWith("X-Injected"), () -> "injected field: " + line);
            }
            assertTrue(text.contains("Diagnostic-Code: smtp; 550"), text);
            assertTrue(text.contains("Status: 5.1.1"), text);
        }
    }
}
