package dev.outbox.cli;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Aligned columns, and server text that can neither break a row nor reach the terminal as control characters. */
class TableTest {

    @Test
    void columnsAreAsWideAsTheirWidestCellNumbersAlignRightAndNoLineEndsInSpaces() {
        String table = new Table("NAME", "COUNT", "NOTE")
                .alignRight(1)
                .row("a", 5, "")
                .row("longer name", 12345, "last column not padded")
                .render();

        assertEquals("""
                NAME         COUNT  NOTE
                a                5
                longer name  12345  last column not padded
                """, table);
    }

    @Test
    void anUnheadedTableHasNoHeaderRow() {
        assertEquals("""
                Sender  <>
                Size    12 bytes
                """, Table.unheaded(2).row("Sender", "<>").row("Size", "12 bytes").render());
    }

    @Test
    void cellsAreOneLineWithoutControlCharacters() {
        String table = new Table("REPLY").row("451 4.7.1 try\r\nlater\tplease \u001b[31mred\u001b[0m \u202eevil").render();

        assertEquals("REPLY\n451 4.7.1 try later please ?[31mred?[0m ?evil\n", table);
    }

    @Test
    void printableKeepsOrdinaryUnicode() {
        assertEquals("Grüße, 日本 ✓", Table.printable("Grüße, 日本 ✓"));
    }

    @Test
    void aRowOfTheWrongWidthIsRefused() {
        Table table = new Table("A", "B");
        assertThrows(IllegalArgumentException.class, () -> table.row("only one"));
        assertThrows(IllegalArgumentException.class, () -> table.alignRight(2));
    }
}
