package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The delivery lane's backlogs: their sites and sink addresses, how messages spread over them, recipients, and refusals. */
class DeliveryBacklogTest {

    @Test
    void oneDestinationIsBenchExampleOnTheSinkOf127001() {
        DeliveryBacklog backlog = DeliveryBacklog.parse("1x1", 20_000, 4096);

        assertEquals(List.of(new DeliveryBacklog.Site("bench.example", "mx.bench.example", "127.0.0.1")), backlog.sites());
        assertEquals(List.of("bench@bench.example"), backlog.recipientsAt(backlog.sites().get(0)));
        assertEquals(20_000, backlog.messagesTo(0));
        assertEquals("1 destination, 1 recipient a message", backlog.title());
    }

    @Test
    void manyDestinationsEachHaveTheirOwnMxHostAndSinkAddressAndShareTheMessagesEvenly() {
        DeliveryBacklog backlog = DeliveryBacklog.parse("100X10", 20_050, 4096);

        assertEquals("100x10", backlog.key());
        assertEquals(new DeliveryBacklog.Site("d1.bench.example", "mx1.bench.example", "127.0.1.1"), backlog.sites().get(0));
        assertEquals(new DeliveryBacklog.Site("d100.bench.example", "mx100.bench.example", "127.0.1.100"), backlog.sites().get(99));
        assertEquals(201, backlog.messagesTo(49));
        assertEquals(200, backlog.messagesTo(50));
        assertEquals(20_050, IntStream.range(0, 100).map(backlog::messagesTo).sum());
        assertEquals(200_500, backlog.deliveries());
        assertEquals(List.of("1bench@d7.bench.example", "2bench@d7.bench.example"),
                backlog.recipientsAt(backlog.sites().get(6)).subList(0, 2));
        assertEquals(10, backlog.recipientsAt(backlog.sites().get(6)).size());
    }

    @Test
    void outboxSubmitsRoundRobinOverTheSitesEachGettingItsShare() {
        DeliveryBacklog backlog = DeliveryBacklog.parse("3x1", 8, 4096);

        assertArrayEquals(new int[]{0, 1, 2, 0, 1, 2, 0, 1}, Drain.bySite(backlog));
    }

    @Test
    void badShapesAreRefusedNamingTheRange() {
        assertEquals("'100by10' is not DESTINATIONSxRECIPIENTS, as in 100x10",
                assertThrows(IllegalArgumentException.class, () -> DeliveryBacklog.parse("100by10", 1000, 4096)).getMessage());
        assertEquals("recipients per message 51 is outside 1..50",
                assertThrows(IllegalArgumentException.class, () -> DeliveryBacklog.parse("1x51", 1000, 4096)).getMessage());
        assertEquals("destinations 251 is outside 1..250",
                assertThrows(IllegalArgumentException.class, () -> DeliveryBacklog.parse("251x1", 1000, 4096)).getMessage());
        assertEquals("100 messages cannot reach 200 destinations",
                assertThrows(IllegalArgumentException.class, () -> DeliveryBacklog.parse("200x1", 100, 4096)).getMessage());
    }
}
