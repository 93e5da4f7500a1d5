package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** How the delivery lane sums up its drains: the median, and the range around it. */
class DeliveryTableTest {

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
