package dev.outbox.queue;

import dev.outbox.api.Envelope;
import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves that a bounce for more recipients than one notice's id can name (every other one of 400
 * failing) is split, and that a crash between the parts' writes reports each failed recipient
 * exactly once after the restart.
 */
class SplitBounceCrashTest {

    @TempDir
    Path directory;

    @ParameterizedTest(name = "crash after {0} writes")
    @ValueSource(ints = {2, 3, 4, Integer.MAX_VALUE}) // the add, the marks, part one, part two, the removal
    void everyOtherOf400RecipientsFailingIsReportedOnceWhateverTheCrash(int writesBeforeCrash) throws Exception {
        AtomicReference<CrashAtWriteStore> store = new AtomicReference<>();
        try (EngineFixture engine = new EngineFixture(() -> {
            store.set(new CrashAtWriteStore(new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20)));
            return store.get();
        }).notices(Duration.ZERO)) {
            ScriptedSmtpServer recipients = engine.server("a.example");
            ScriptedSmtpServer senders = engine.server("example.com");
            recipients.script(Rules.on(Command.RCPT).when(e -> e.argument().matches("(?i).*<r\\d*[02468]@.*")).reply("550 5.1.1 no"));
            MailQueue queue = engine.start();
            List<String> all = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                all.add("r" + i + "@a.example");
            }
            String content = "From: app@example.com\r\nTo: undisclosed-recipients:;\r\nSubject: many\r\n\r\nbody\r\n";
            Submission mail = Submission.of(new ByteArrayInputStream(content.getBytes(StandardCharsets.US_ASCII)),
                    Envelope.of("app@example.com", all), new SubmitLimits(1 << 20, 1000), "outbox.test");
            store.get().crashAfter(writesBeforeCrash);
            String id = queue.submit(mail);
            engine.await(() -> engine.transitions().stream().filter(t -> t.messageId().equals(id) && t.to().isTerminal()).count() == 400
                    && engine.idle(), "all recipients finished");
            List<String> written = store.get().writes();
            engine.restart();
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");

            Map<String, Integer> reported = new TreeMap<>();
            Pattern finalRecipient = Pattern.compile("Final-Recipient: rfc822; (\\S+)");
            for (Received notice : senders.received()) {
                Matcher m = finalRecipient.matcher(notice.text());
                while (m.find()) {
                    reported.merge(m.group(1), 1, Integer::sum);
                }
            }
            Map<String, Integer> once = new TreeMap<>();
            for (int i = 0; i < 400; i += 2) {
                once.put("r" + i + "@a.example", 1);
            }
            assertEquals(once, reported, () -> "after a crash following " + written);
            assertTrue(senders.received().size() >= 2, "split in parts: " + senders.received().size());
        }
    }
}
