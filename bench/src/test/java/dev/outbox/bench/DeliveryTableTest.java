package dev.outbox.bench;

import dev.outbox.bench.DeliveryBenchmark.Contender;
import dev.outbox.bench.DeliveryBenchmark.Kind;
import dev.outbox.queue.QueuePolicy;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How the delivery lane sums up its drains: the median, the range around it, and the goals against Postfix and the ceiling. */
class DeliveryTableTest {

    @Test
    void theGoalsCompareOutboxsFirstRowWithPostfixAndTheCeilingByMediansAndRoundByRound() {
        BenchSettings settings = BenchSettings.parse(new String[]{"--delivery-runs", "2", "--deliveries", "1000"});
        QueuePolicy policy = AdapterDefaults.read(Path.of("target")).policy();
        Report report = new Report("test");
        DeliveryTable table = new DeliveryTable(report, settings, policy);
        Map<Contender, List<DrainResult>> drains = new LinkedHashMap<>();
        drains.put(contender(Kind.OUTBOX, "Outbox"), List.of(drain(8_000, 200), drain(10_000, 200)));
        drains.put(contender(Kind.POSTFIX, "Postfix"), List.of(drain(2_000, 1_000), drain(2_000, 1_000)));
        drains.put(contender(Kind.CEILING, "ceiling"), List.of(drain(20_000, 20), drain(18_000, 20)));

        table.backlog(DeliveryBacklog.parse("1x1", 1000, 4096), drains, null);
        String text = report.render();

        assertTrue(text.contains("Draining 1,000 messages of 4,096 bytes, 1 destination, 1 recipient a message: 4 connections at most, 2 drains each"), text);
        assertTrue(text.matches("(?s).*goal: Outbox >= 4x Postfix's rate +\\| +MET \\| +\\| 4\\.50x: 9,000 / 2,000 messages/s \\(medians\\); round by round 4\\.00x\\.\\.5\\.00x.*"), text);
        assertTrue(text.matches("(?s).*goal: Outbox >= 0\\.5x the ceiling +\\| +NOT MET \\| +\\| 0\\.47x: 9,000 / 19,000 messages/s.*"), text);
        assertTrue(text.matches("(?s).*goal: Outbox's CPU a message <= 0\\.25x Postfix's +\\| +MET \\| +\\| 0\\.20x: 200 / 1,000 us a message.*"), text);
    }

    @Test
    void withoutPostfixItsGoalsSayWhyTheyWereNotMeasured() {
        Report report = new Report("test");
        DeliveryTable table = new DeliveryTable(report, BenchSettings.parse(new String[0]), AdapterDefaults.read(Path.of("target")).policy());
        Map<Contender, List<DrainResult>> drains = new LinkedHashMap<>();
        drains.put(contender(Kind.OUTBOX, "Outbox"), List.of(drain(8_000, 200)));
        drains.put(contender(Kind.CEILING, "ceiling"), List.of(drain(20_000, 20)));

        table.backlog(DeliveryBacklog.parse("1x1", 1000, 4096), drains, "the harness is not root");
        String text = report.render();

        assertTrue(text.matches("(?s).*goal: Outbox >= 4x Postfix's rate +\\| not measured \\| +\\| the harness is not root.*"), text);
        assertTrue(text.matches("(?s).*goal: Outbox's CPU a message <= 0\\.25x Postfix's +\\| not measured \\| +\\| the harness is not root.*"), text);
    }

    private static Contender contender(Kind kind, String name) {
        return new Contender(kind, name, name + " row", which -> {
            throw new UnsupportedOperationException();
        });
    }

    /** A drain of 1,000 messages at {@code rate} a second costing {@code cpuMicros} a message. */
    private static DrainResult drain(double rate, long cpuMicros) {
        Rate fill = new Rate(1000, 100_000_000, -1, 4096);
        return new DrainResult(1000, fill, (long) (1000 * 1e9 / rate), cpuMicros * 1000 * 1000, true, "", 0, 10, null, null);
    }

    @Test
    void theMedianIsTheMiddleDrainOrTheMeanOfTheTwoMiddleOnes() {
        assertEquals(4_000, DeliveryTable.median(new double[]{5_000, 3_000, 4_000}));
        assertEquals(3_500, DeliveryTable.median(new double[]{4_000, 1_000, 3_000, 9_000}));
        assertEquals(2_000, DeliveryTable.median(new double[]{2_000}));
        assertThrows(IllegalArgumentException.class, () -> DeliveryTable.median(new double[0]));
    }

    @Test
    void theSpreadGivesTheRangeAndItsDistanceFromTheMedian() {
        assertEquals("median of 3 drains, which ranged 3,600..4,400 (-10.0%..+10.0%)",
                DeliveryTable.spread(new double[]{4_400, 3_600, 4_000}, 4_000));
        assertEquals("1 drain", DeliveryTable.spread(new double[]{4_000}, 4_000));
    }
}
