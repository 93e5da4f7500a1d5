package dev.outbox.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A whole run without a server: what goes to standard output and error, and the exit status.
 * (This class path has no WildFly client jar, so a run that would connect stops there.)
 */
class QueueCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void helpGoesToStandardOutputAndExitsZero() {
        assertEquals(0, run(Map.of(), "--help"));

        assertTrue(stdout().startsWith("Usage: outbox-queue [OPTIONS] COMMAND [ARGUMENT]"), stdout());
        assertEquals("", stderr());
    }

    @Test
    void aUsageErrorExitsTwoWithOneLineAndAHint() {
        assertEquals(2, run(Map.of(), "show"));

        assertEquals("", stdout());
        assertEquals("outbox-queue: show needs a message ID\nTry 'outbox-queue --help'.\n", stderr());
    }

    @Test
    void withoutWildFlysClientJarTheCommandSaysWhereToFindIt() {
        assertEquals(2, run(Map.of(), "queues"));

        assertEquals("", stdout());
        assertTrue(stderr().startsWith("outbox-queue: WildFly's JMX client is not on the class path"), stderr());
        assertTrue(stderr().contains("JBOSS_HOME"), stderr());
    }

    @Test
    void noOutputEverShowsThePasswordFromAnOptionOrTheEnvironment() {
        run(Map.of(), "queues", "--user", "ops", "--password", "s3cret-pw", "--verbose");
        run(Map.of("OUTBOX_JMX_USER", "ops", "OUTBOX_JMX_PASSWORD", "env-s3cret"), "freeze", "m1", "--verbose");

        assertFalse(stdout().contains("s3cret"), stdout());
        assertFalse(stderr().contains("s3cret"), stderr());
    }

    @Test
    void aUserWithoutAPasswordIsAskedForOne() {
        List<String> asked = new java.util.ArrayList<>();

        QueueCommand.run(List.of("status", "--user", "ops"), Map.of(), print(out), print(err), server -> {
            asked.add(server.user());
            return "typed";
        });

        assertEquals(List.of("ops"), asked);
    }

    private int run(Map<String, String> environment, String... args) {
        return QueueCommand.run(List.of(args), environment, print(out), print(err), server -> {
            throw new AssertionError("asked for a password");
        });
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
