package dev.outbox.queue;

import dev.outbox.adapter.OutboxMeters;
import dev.outbox.testing.smtp.Command;
import dev.outbox.testing.smtp.Rules;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves the meters over the real engine in a {@link SimpleMeterRegistry}: the counters follow
 * the engine's counts, the latency timer measures submit to DELIVERED, only the ten busiest
 * destinations get gauges (re-chosen at each refresh, so a drained one loses them), the
 * destination tag is on those gauges only, and close leaves the registry empty.
 */
class OutboxMetersTest {

    private static final int DESTINATIONS = 12;

    @AutoClose
    private final EngineFixture engine = new EngineFixture();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void countsLatencyAndTheBusiestDestinationsOnly() {
        engine.hold(); // mail waits in the ready queues until released
        MailQueue queue = engine.start();
        OutboxMeters meters = OutboxMeters.bind(queue, registry);
        // destination i gets i messages: the busiest ten are those with 3..12
        for (int i = 1; i <= DESTINATIONS; i++) {
            engine.server(domain(i));
            for (int m = 0; m < i; m++) {
                engine.submit("to " + i + " #" + m, "r" + m + "@" + domain(i));
            }
        }
        int submitted = DESTINATIONS * (DESTINATIONS + 1) / 2;
        meters.refresh();

        Set<String> busiest = IntStream.rangeClosed(3, DESTINATIONS).mapToObj(i -> destination(i)).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(busiest, new TreeSet<>(meters.publishedDestinations()));
        assertEquals(busiest, taggedDestinations("outbox.queue.depth"));
        assertEquals(busiest, taggedDestinations("outbox.queue.oldest.age"));
        assertEquals(12, registry.get("outbox.queue.depth").tag(OutboxMeters.DESTINATION_TAG, destination(12)).gauge().value());
        assertEquals(submitted, registry.get("outbox.submitted").functionCounter().count());
        assertEquals(submitted, registry.get("outbox.messages").gauge().value());
        assertEquals(0, registry.get("outbox.overdue.recipients").gauge().value());

        engine.clock.advance(Duration.ofSeconds(5));
        assertEquals(5, registry.get("outbox.queue.oldest.age").tag(OutboxMeters.DESTINATION_TAG, destination(3)).timeGauge()
                .value(TimeUnit.SECONDS), "the age grows between refreshes");
        engine.release();
        engine.await(() -> queue.deliveredCount() == submitted && engine.idle(), "every message delivered");

        assertEquals(submitted, registry.get("outbox.delivered").functionCounter().count());
        Timer latency = registry.get("outbox.delivery.latency").timer();
        assertEquals(submitted, latency.count());
        assertEquals(5.0, latency.max(TimeUnit.SECONDS), "submitted at the start, delivered 5 s later");
        assertEquals(5.0 * submitted, latency.totalTime(TimeUnit.SECONDS), 1e-6);
        for (Meter meter : registry.getMeters()) {
            boolean perDestination = meter.getId().getName().startsWith("outbox.queue.");
            assertEquals(perDestination, meter.getId().getTag(OutboxMeters.DESTINATION_TAG) != null, meter.getId().toString());
        }

        meters.refresh();
        assertEquals(Set.of(), meters.publishedDestinations(), "drained queues are not busy");
        assertEquals(Set.of(), taggedDestinations("outbox.queue.depth"));
        assertEquals(0, registry.get("outbox.messages").gauge().value());

        meters.close();
        assertEquals(List.of(), registry.getMeters(), "close removes every meter");
        engine.submit("after close", "late@" + domain(1));
        engine.await(() -> queue.deliveredCount() == submitted + 1, "mail still flows after the meters are gone");
    }

    @Test
    void noticesAreCounted() {
        ScriptedSmtpServer server = engine.server();
        server.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("nobody@")).reply("550 5.1.1 no such user"));
        engine.notices(Duration.ZERO);
        MailQueue queue = engine.start();
        OutboxMeters meters = OutboxMeters.bind(queue, registry);

        engine.submit("refused", "nobody@a.example");
        engine.submitFrom("", "refused without a sender", "nobody@a.example");
        engine.await(() -> queue.bounceNoticeCount() == 1 && queue.noticesWithheldCount() == 1 && engine.idle(),
                "one bounce queued, one withheld");

        assertEquals(1, registry.get("outbox.notices.bounce").functionCounter().count());
        assertEquals(1, registry.get("outbox.notices.withheld").functionCounter().count());
        assertEquals(0, registry.get("outbox.notices.delay").functionCounter().count());
        meters.close();
    }

    @Test
    void deferredBouncedAndTheInvariantGauge() {
        ScriptedSmtpServer server = engine.server();
        server.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("ann@")).reply("451 4.7.1 greylisted"));
        server.script(Rules.on(Command.RCPT).when(exchange -> exchange.line().contains("nobody@")).reply("550 5.1.1 no such user"));
        MailQueue queue = engine.start();
        OutboxMeters meters = OutboxMeters.bind(queue, registry);

        engine.submit("greylisted", "ann@a.example");
        engine.submit("refused", "nobody@a.example");
        engine.await(() -> queue.deferredCount() == 1 && queue.bouncedCount() == 1 && engine.idle(), "one deferred, one bounced");
        meters.refresh();

        assertEquals(2, registry.get("outbox.submitted").functionCounter().count());
        assertEquals(1, registry.get("outbox.deferred").functionCounter().count());
        assertEquals(1, registry.get("outbox.bounced").functionCounter().count());
        assertEquals(0, registry.get("outbox.delivered").functionCounter().count());
        assertEquals(0, registry.get("outbox.stuck.recovered").functionCounter().count());
        assertEquals(0, registry.get("outbox.overdue.recipients").gauge().value());
        assertEquals(0, registry.get("outbox.delivery.latency").timer().count(), "only deliveries are timed");
        assertEquals(1, registry.get("outbox.queue.depth").tag(OutboxMeters.DESTINATION_TAG, EngineFixture.destination(server)).gauge().value(),
                "the deferred recipient's message waits in its queue");
        meters.close();
    }

    @Test
    void refusesWhatIsNotAMeterRegistry() {
        MailQueue queue = engine.start();
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> OutboxMeters.bind(queue, "a registry"));
        assertTrue(refused.getMessage().contains("java.lang.String"), refused.getMessage());
    }

    private static String domain(int i) {
        return String.format("d%02d.example", i);
    }

    private String destination(int i) {
        return EngineFixture.destination(engine.server(domain(i)));
    }

    private Set<String> taggedDestinations(String name) {
        return registry.find(name).meters().stream().map(meter -> meter.getId().getTag(OutboxMeters.DESTINATION_TAG))
                .collect(Collectors.toCollection(TreeSet::new));
    }
}
