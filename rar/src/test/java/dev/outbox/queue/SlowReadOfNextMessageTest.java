package dev.outbox.queue;

import dev.outbox.store.ForwardingStore;
import dev.outbox.store.MemoryStore;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a message the server answered 250 is not sent again when reading the next
 * message's content from the store is slow (a journal read behind a stalled fsync) on the
 * connection that carried it. The 250 is recorded during the next message's first round trip,
 * so after that read, which nothing bounds. A review found that the sweep, past the attempt's
 * deadline, then took the answered recipient for stuck, requeued it and a second connection
 * delivered it again, and that stop closed the store before the record so that the restart sent
 * it again: neither a crash nor a connection broken after the dot, so invariant 4 does not
 * allow either. The sweep and stop now record an answered attempt instead. (LateOutcomeTest is
 * the same scenario with a blocking executor call after the 250.)
 */
class SlowReadOfNextMessageTest {

    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(30);

    private final MemoryStore memory = new MemoryStore();
    private final List<String> ids = new CopyOnWriteArrayList<>();
    private final AtomicBoolean blocked = new AtomicBoolean();
    private final CountDownLatch inside = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    @AutoClose
    private final EngineFixture engine = new EngineFixture(() -> new ForwardingStore(memory) {
        @Override
        public byte[] content(String id) {
            // The first read of "next", by the connection that has just had "first" answered, is slow.
            if (ids.size() == 2 && id.equals(ids.get(1)) && blocked.compareAndSet(false, true)) {
                inside.countDown();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return super.content(id);
        }
    });
    private final ScriptedSmtpServer server = engine.server();

    @Test
    void theSweepRecordsTheAnsweredMessageInsteadOfSendingItAgain() throws Exception {
        MailQueue queue = answerFirstThenReadNextSlowly();
        // The read stays slow past the attempt's deadline; the sweep runs meanwhile.
        engine.clock.advance(ATTEMPT_TIMEOUT.plusSeconds(2));
        int repaired = queue.sweep();
        // Recorded by the sweep (the store forgets it), or put back and sent again by another connection.
        engine.await(() -> server.received().size() >= 2 || memory.contentLength(ids.get(0)) < 0, "the sweep recorded \"first\"");
        release.countDown();
        engine.settleRetries();

        assertEquals(Map.of("first", 1, "next", 1), EngineFixture.perSubject(server.received()),
                "acknowledged deliveries per message (sweep repaired " + repaired + ", stuck recovered " + queue.stuckRecovered()
                        + "); transitions " + engine.transitions());
    }

    @Test
    void stopRecordsTheAnsweredMessageSoTheRestartDoesNotSendItAgain() throws Exception {
        answerFirstThenReadNextSlowly();
        engine.stop(200); // grace, abort, 5 s for the aborted connection, then the store closes
        release.countDown();
        engine.await(() -> engine.busyDeliveryThreads() == 0, "the old connection's thread ended");

        MailQueue queue = engine.restart();
        engine.await(() -> server.received().size() >= 2 && engine.idle() && memory.messageCount() == 0, "delivered after the restart");

        assertEquals(Map.of("first", 1, "next", 1), EngineFixture.perSubject(server.received()),
                "acknowledged deliveries per message (stuck recovered " + queue.stuckRecovered() + "); transitions " + engine.transitions());
    }

    /** "first" answered 250 on a connection that then takes "next" and hangs reading its content. */
    private MailQueue answerFirstThenReadNextSlowly() throws InterruptedException {
        server.script(Rules.on(Command.END_OF_DATA).onConnection(1).delayThenProceed(Duration.ofSeconds(1)));
        // The executor's second call (the connection "next" would get) is refused, as by a busy pool: "next" waits
        // in the ready queue, and the connection that carries "first" takes it after the 250. Later calls run.
        AtomicInteger calls = new AtomicInteger();
        engine.wrapExecutor(real -> task -> {
            if (calls.incrementAndGet() == 2) {
                throw new RejectedExecutionException("pool busy");
            }
            real.execute(task);
        });
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 100, 8, ATTEMPT_TIMEOUT));
        ids.add(engine.submit("first", "ann@a.example"));
        engine.await(() -> server.count(Command.END_OF_DATA) == 1, "the server has the data of \"first\"");
        ids.add(engine.submit("next", "bob@a.example"));

        server.awaitReceived(1, EngineFixture.WAIT); // "first" answered 250
        if (!inside.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the connection never read \"next\": " + engine.describe());
        }
        return queue;
    }
}
