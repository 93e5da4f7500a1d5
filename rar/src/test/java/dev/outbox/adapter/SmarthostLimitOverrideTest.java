package dev.outbox.adapter;

import dev.outbox.queue.Destination;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Proves that a per-destination limit written for the smarthost applies to the smarthost's
 * queue, however the administrator spelled the relay: as in {@code outbox.smarthost} (a bare
 * host gets port 25), or in another case (host names compare without case, as the domain
 * overrides already do). A relay that allows two connections is the usual reason to write one;
 * ignored, the default four open and the relay answers 421 "too many connections".
 */
class SmarthostLimitOverrideTest {

    @Test
    void anOverrideForTheSmarthostAppliesToItsQueue() {
        assertAll(
                () -> assertEquals(2, connectionsToSmarthost("relay.example.net", "4, relay.example.net=2"),
                        "the relay named as in outbox.smarthost, without the port it defaults to"),
                () -> assertEquals(2, connectionsToSmarthost("Relay.Example.NET:587", "4, relay.example.net:587=2"),
                        "the relay named in another case"));
    }

    /** The connection limit the engine applies to the smarthost's queue. */
    private static int connectionsToSmarthost(String smarthost, String connectionsPerDestination) {
        AdapterSettings settings = AdapterSettings.of(Map.of("Smarthost", smarthost, "ConnectionsPerDestination", connectionsPerDestination),
                name -> null, "/tmp/outbox-data");
        String queueName = Destination.smarthost(settings.smarthost()).name(); // as OutboxResourceAdapter routes every recipient
        return settings.policy().connectionsPerDestination().of(queueName);
    }
}
