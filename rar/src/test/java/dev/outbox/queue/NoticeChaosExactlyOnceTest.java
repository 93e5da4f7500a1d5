package dev.outbox.queue;

import dev.outbox.store.journal.JournalStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves under concurrency (submits on four threads, recipients refused, deferred and delivered
 * at random on five destinations, one of which also carries the notices, sweeps and an operator
 * deleting queues with a notice, all at once) that no lock-order deadlock forms (notices are let
 * out while the original's lock is held) and that every recipient ends delivered or reported in
 * exactly one notice, never both.
 */
class NoticeChaosExactlyOnceTest {

    @TempDir
    Path directory;

    @Test
    void everyRecipientIsDeliveredOrReportedOnceUnderConcurrency() throws Exception {
        try (EngineFixture engine = new EngineFixture(() -> new JournalStore(directory, 1 << 20, Long.MAX_VALUE, 4 << 20))
                .policy(EngineFixture.policy("1m", 2, 5, 8, Duration.ofSeconds(30)))
                .notices(Duration.ofMinutes(1))) {
            AtomicBoolean chaos = new AtomicBoolean(true);
            List<String> domains = List.of("a.example", "b.example", "c.example", "d.example", "example.com");
            for (String domain : domains) {
                ScriptedSmtpServer server = engine.server(domain);
                if (!domain.equals("example.com")) {
                    server.script(Rules.on(Command.RCPT).when(e -> chaos.get() && e.argument().contains("f@")).reply("550 5.1.1 no"));
                    server.script(Rules.on(Command.RCPT).when(e -> chaos.get() && e.argument().contains("t@")).reply("451 4.3.0 later"));
                }
            }
            ScriptedSmtpServer senders = engine.server("example.com");
            MailQueue queue = engine.start();

            ExecutorService load = Executors.newFixedThreadPool(6);
            List<Future<?>> tasks = new ArrayList<>();
            List<String> addresses = java.util.Collections.synchronizedList(new ArrayList<>());
            for (int t = 0; t < 4; t++) {
                int thread = t;
                tasks.add(load.submit(() -> {
                    for (int m = 0; m < 40; m++) {
                        List<String> to = new ArrayList<>();
                        for (String domain : domains) {
                            String kind = switch (ThreadLocalRandom.current().nextInt(3)) {
                                case 0 -> "f";
                                case 1 -> "t";
                                default -> "ok";
                            };
                            to.add("m" + thread + "x" + m + kind + "@" + domain);
                        }
                        addresses.addAll(to);
                        engine.submit("m" + thread + "x" + m, to.toArray(String[]::new));
                    }
                    return null;
                }));
            }
            tasks.add(load.submit(() -> {
                while (chaos.get()) {
                    queue.sweep();
                    Thread.sleep(5);
                }
                return null;
            }));
            tasks.add(load.submit(() -> {
                for (int i = 0; i < 30 && chaos.get(); i++) {
                    Thread.sleep(20);
                    String domain = EngineFixture.destination(engine.server(domains.get(i % 4)));
                    try {
                        queue.deleteQueue(domain, true);
                        queue.findMessages(null, "m", 0, 50);
                    } catch (IllegalArgumentException noQueueYet) {
                        // not made yet
                    }
                }
                return null;
            }));
            for (int i = 0; i < 4; i++) {
                tasks.get(i).get(60, TimeUnit.SECONDS);
            }
            Thread.sleep(300);
            assertNull(ManagementFactory.getThreadMXBean().findDeadlockedThreads(), "a deadlock");
            chaos.set(false);
            for (Future<?> task : tasks) {
                task.get(60, TimeUnit.SECONDS);
            }
            load.shutdown();

            // Calm: everything still deferred is delivered now.
            for (int i = 0; i < 10 && engine.store().messageCount() > 0; i++) {
                // Idle first: a jump of the clock past the deadline of an attempt in progress would have the sweep give
                // it up and send again, the at-least-once case this test does not measure.
                engine.awaitIdle();
                engine.clock.advance(Duration.ofMinutes(2));
                queue.retryAll();
                queue.sweep();
                engine.awaitIdle();
            }
            engine.await(() -> engine.store().messageCount() == 0 && engine.idle(), "the store empties");

            Map<String, Integer> outcomes = new TreeMap<>();
            for (String domain : domains) {
                for (Received received : engine.server(domain).received()) {
                    if (received.acknowledged() && !received.mailFrom().equals("<>")) {
                        received.recipients().forEach(r -> outcomes.merge(r, 1, Integer::sum));
                    }
                }
            }
            Pattern finalRecipient = Pattern.compile("Final-Recipient: rfc822; (\\S+)\\r\\nAction: failed");
            for (Received notice : senders.received()) {
                Matcher found = finalRecipient.matcher(notice.text());
                while (found.find()) {
                    outcomes.merge(found.group(1), 1, Integer::sum);
                }
            }
            Map<String, Integer> once = new TreeMap<>();
            addresses.forEach(a -> once.put(a, 1));
            Map<String, Integer> wrong = new TreeMap<>();
            once.keySet().forEach(a -> {
                if (!outcomes.getOrDefault(a, 0).equals(1)) {
                    wrong.put(a, outcomes.getOrDefault(a, 0));
                }
            });
            assertEquals(Map.of(), wrong, () -> "recipients delivered and reported, or neither, or twice; where they were seen: "
                    + seen(wrong.keySet(), domains, engine));
            assertTrue(queue.bounceNoticeCount() > 20 && queue.deletedCount() > 0 && queue.delayNoticeCount() > 0,
                    () -> "chaos enough: " + queue.bounceNoticeCount() + " bounces, " + queue.deletedCount() + " deleted, "
                            + queue.delayNoticeCount() + " delay notices");
        }
    }

    /** Every transaction that named one of {@code addresses}, as RCPT or in a notice: server, MAIL FROM, acknowledged. */
    private static List<String> seen(java.util.Set<String> addresses, List<String> domains, EngineFixture engine) {
        List<String> seen = new ArrayList<>();
        for (String domain : domains) {
            for (Received received : engine.server(domain).received()) {
                for (String address : addresses) {
                    if (received.recipients().contains(address) || received.text().contains(address)) {
                        seen.add(domain + " " + received.mailFrom() + " -> " + received.recipients() + " acknowledged "
                                + received.acknowledged() + " about " + address);
                    }
                }
            }
        }
        return seen;
    }
}
