package dev.outbox.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** How the harness reads a process's CPU time from /proc/PID/stat: the fields after the command name, whatever that name holds. */
class ProcStatTest {

    @Test
    void theFieldsAreCountedFromTheLastParenthesisSoACommandMayHoldSpacesAndParentheses() {
        ProcStat stat = ProcStat.parse("4242 (smtp (x) y) S 4200 4200 4200 0 -1 4194560 120 0 0 0 37 5 11 2 20 0 1 0 100 0 0\n");

        assertEquals(4242, stat.pid());
        assertEquals("smtp (x) y", stat.command());
        assertEquals(4200, stat.parent());
        assertEquals(4200, stat.group());
        assertEquals(42, stat.ownTicks());
        assertEquals(13, stat.reapedTicks());
        assertEquals(ProcStat.nanos(55), stat.totalNanos());
    }

    @Test
    void aLineThatIsNotAStatLineIsRefusedQuotingIt() {
        assertEquals("not a /proc/PID/stat line: \"nothing here\"",
                assertThrows(IllegalArgumentException.class, () -> ProcStat.parse("nothing here")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> ProcStat.parse("1 (init) S 0 1"));
    }

    @Test
    void thisJvmReadsItselfWhereProcIsThere() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(java.nio.file.Path.of("/proc/self")));
        ProcStat self = ProcStat.self();

        assertNotNull(self);
        assertEquals(ProcessHandle.current().pid(), self.pid());
    }
}
