package dev.outbox.queue;

import dev.outbox.api.RecipientState;
import dev.outbox.testing.dns.Fault;
import dev.outbox.testing.dns.TestDns;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves routing by MX through the real engine, a real DNS server and real SMTP servers on
 * loopback addresses standing for MX hosts: one message whose recipients span seven domains,
 * each with its own outcome (delivered, delivered through the second MX host after the first
 * refused the connection, delivered to the implicit MX, bounced for a null MX and for a domain
 * that does not exist, held in a queue in RETRY for a dead host and for a DNS failure), each
 * domain a queue of its own, the dead ones holding up no other, and the held recipients
 * delivered at their retry once the host and DNS are back.
 */
class MxRoutingTest {

    @AutoClose
    private final TestDns dns = TestDns.start();
    @AutoClose
    private final ScriptedSmtpServer live = ScriptedSmtpServer.start("127.0.0.2", 0);
    private final int port = live.port();
    @AutoClose
    private final ScriptedSmtpServer second = ScriptedSmtpServer.start("127.0.0.4", port);
    @AutoClose
    private final EngineFixture engine = new EngineFixture().routeByMx(dns, port);

    @Test
    void eachDomainIsAQueueAndEachRecipientGetsItsOwnOutcome() {
        dns.mx("live.example", 10, "mx.live.example").a("mx.live.example", "127.0.0.2");
        dns.mx("dead.example", 10, "mx.dead.example").a("mx.dead.example", "127.0.0.3"); // nothing listens there yet
        dns.mx("fallback.example", 10, "mx1.fallback.example").a("mx1.fallback.example", "127.0.0.3")
                .mx("fallback.example", 20, "mx2.fallback.example").a("mx2.fallback.example", "127.0.0.4");
        dns.a("implicit.example", "127.0.0.2");
        dns.nullMx("nullmx.example");
        dns.a("other.example", "127.0.0.9"); // the zone has names; gone.example is not one of them
        dns.mx("broken.example", 10, "mx.live.example").fault("broken.example", Fault.SERVFAIL);
        MailQueue queue = engine.start(EngineFixture.policy("1m", 2, 100, 8, QueuePolicy.DEFAULT_ATTEMPT_TIMEOUT));

        String id = engine.submit("seven domains", "a@live.example", "b@dead.example", "c@fallback.example",
                "d@implicit.example", "e@nullmx.example", "f@gone.example", "g@broken.example");
        engine.await(() -> queue.deliveredCount() == 3 && queue.bouncedCount() == 2 && engine.idle()
                        && queue.queue("dead.example").state(engine.clock.millis()) == QueueState.RETRY
                        && queue.queue("broken.example").state(engine.clock.millis()) == QueueState.RETRY,
                () -> "three delivered, two bounced, two destinations in RETRY: " + engine.states());

        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "a@live.example"));
        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "c@fallback.example"));
        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "d@implicit.example"));
        assertEquals(2, live.received().size(), "live.example and the implicit MX of implicit.example");
        assertEquals(List.of("c@fallback.example"), second.received().get(0).recipients(), "the second MX host took what the first could not");
        assertBounced(id, "e@nullmx.example", 556, "556 5.1.10 nullmx.example accepts no mail");
        assertBounced(id, "f@gone.example", 550, "550 5.1.2 gone.example does not exist");
        // Nothing reached those destinations: their recipients wait, due, for their queue's retry time.
        assertEquals(RecipientState.QUEUED, engine.lastState(id, "b@dead.example"));
        assertEquals(RecipientState.QUEUED, engine.lastState(id, "g@broken.example"));

        long now = engine.clock.millis();
        assertEquals(QueueState.RETRY, queue.queue("dead.example").state(now));
        assertTrue(queue.queue("dead.example").lastError().contains("mx.dead.example"), queue.queue("dead.example").lastError());
        assertEquals(QueueState.RETRY, queue.queue("broken.example").state(now));
        assertTrue(queue.queue("broken.example").lastError().contains("SERVFAIL"), queue.queue("broken.example").lastError());
        assertEquals(QueueState.EMPTY, queue.queue("live.example").state(now), "the dead destination holds up no other");

        try (ScriptedSmtpServer back = ScriptedSmtpServer.start("127.0.0.3", port)) {
            dns.heal("broken.example");
            engine.fire("dead.example");
            engine.fire("broken.example");
            engine.await(() -> queue.deliveredCount() == 5 && engine.idle(), () -> "the deferred two delivered at their retry: " + engine.states());
            assertEquals(List.of("b@dead.example"), back.received().get(0).recipients());
        }
        assertEquals(RecipientState.DELIVERED, engine.lastState(id, "g@broken.example"));
        assertEquals(0, engine.store().messageCount());
    }

    private void assertBounced(String id, String recipient, int code, String replyStart) {
        assertEquals(RecipientState.BOUNCED, engine.lastState(id, recipient));
        Transition bounce = engine.transitions().stream().filter(t -> t.recipient().equals(recipient) && t.to() == RecipientState.BOUNCED)
                .findFirst().orElseThrow();
        assertEquals(code, bounce.replyCode());
        assertTrue(bounce.reply().startsWith(replyStart), bounce.reply());
    }
}
