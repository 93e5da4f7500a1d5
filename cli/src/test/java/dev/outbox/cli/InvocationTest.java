package dev.outbox.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The command line and environment as the queue command reads them, and every way to get them wrong. */
class InvocationTest {

    private static final Map<String, String> NO_ENVIRONMENT = Map.of();

    @Test
    void aBareCommandConnectsToTheLocalManagementPortWithoutCredentials() {
        Invocation invocation = parse("queues");

        assertEquals(Command.QUEUES, invocation.command());
        assertNull(invocation.operand());
        assertEquals(new Server("127.0.0.1", 9990, null, null, 10), invocation.server());
        assertEquals("service:jmx:remote+http://127.0.0.1:9990", invocation.server().url().toString());
        assertFalse(invocation.json());
        assertEquals(0, invocation.offset());
        assertEquals(100, invocation.limit());
    }

    @Test
    void optionsGoAnywhereInEitherFormAndTheLastOneCounts() {
        Invocation invocation = parse("--host", "mx1.example", "list", "relay.example:25", "--port=10090", "--json", "--limit", "5",
                "--offset=10", "--limit=20", "--timeout", "3");

        assertEquals(Command.LIST, invocation.command());
        assertEquals("relay.example:25", invocation.operand());
        assertEquals(new Server("mx1.example", 10090, null, null, 3), invocation.server());
        assertTrue(invocation.json());
        assertEquals(10, invocation.offset());
        assertEquals(20, invocation.limit());
    }

    @Test
    void doubleDashEndsTheOptionsForAnIdThatStartsWithADash() {
        Invocation invocation = parse("show", "--json", "--", "--odd-id");

        assertEquals(Command.SHOW, invocation.command());
        assertEquals("--odd-id", invocation.operand());
        assertTrue(invocation.json());
    }

    @Test
    void findTakesOneOptionalText() {
        assertEquals("", parse("find").operand(), "find without TEXT finds all");
        assertEquals("alice@example.org", parse("find", "alice@example.org").operand());
        assertEquals("two words", parse("find", "two words").operand());
    }

    @Test
    void everyCommandHasItsWord() {
        for (Command command : Command.values()) {
            assertEquals(command, Command.named(command.word()).orElseThrow());
        }
        assertEquals(Command.FREEZE_QUEUE, parse("freeze-queue", "127.0.0.1:25").command());
        assertEquals(Command.DELETE_ALL, parse("delete-all", "127.0.0.1:25", "--ndr").command());
        assertTrue(parse("delete", "id1", "--ndr").ndr());
        assertEquals(Command.RETRY_ALL, parse("retry-all").command());
    }

    @Test
    void helpWinsOverEverythingElse() {
        assertEquals(Command.HELP, parse("--help").command());
        assertEquals(Command.HELP, parse("-h").command());
        assertEquals(Command.HELP, parse("help").command());
        assertEquals(Command.HELP, parse("show", "--help").command(), "help without the ID show needs");
    }

    @Test
    void jbossHomeIsTheScriptsAndAcceptedHere() {
        assertEquals(Command.STATUS, parse("--jboss-home", "/opt/wildfly", "status").command());
        assertEquals(Command.STATUS, parse("status", "--jboss-home=/opt/wildfly").command());
    }

    @Test
    void credentialsComeFromTheOptionsElseTheEnvironment() {
        Map<String, String> environment = Map.of("OUTBOX_JMX_USER", "ops", "OUTBOX_JMX_PASSWORD", "from-env");

        Server fromEnvironment = Invocation.parse(List.of("queues"), environment).server();
        Server fromOptions = Invocation.parse(List.of("queues", "--user", "admin", "--password", "from-option"), environment).server();
        Server userOnly = parse("queues", "--user", "admin").server();

        assertEquals("ops", fromEnvironment.user());
        assertEquals("from-env", fromEnvironment.password());
        assertEquals("admin", fromOptions.user());
        assertEquals("from-option", fromOptions.password());
        assertEquals("admin", userOnly.user());
        assertNull(userOnly.password(), "asked for on the terminal later");
        assertNull(Invocation.parse(List.of("queues"), Map.of("OUTBOX_JMX_USER", "")).server().user(), "an empty variable is unset");
    }

    @Test
    void thePasswordIsNeverInTheTextOfAnInvocation() {
        Invocation invocation = parse("freeze", "id1", "--user", "ops", "--password", "s3cret-pw");

        assertFalse(invocation.toString().contains("s3cret-pw"), invocation.toString());
        assertFalse(invocation.server().toString().contains("s3cret-pw"), invocation.server().toString());
        assertTrue(invocation.server().toString().contains("ops"), invocation.server().toString());
    }

    @ParameterizedTest(name = "[{index}] '{0}' -> {1}")
    @CsvSource(delimiter = '|', textBlock = """
            ''                                  | no command
            frobnicate                          | unknown command "frobnicate"
            queues --frob                       | unknown option --frob
            queues -x                           | unknown option -x
            queues --port                       | --port needs a value
            queues --port nine                  | --port needs a whole number, not "nine"
            queues --port 0                     | --port must be from 1 to 65535, not 0
            queues --port 70000                 | --port must be from 1 to 65535, not 70000
            queues --timeout 0                  | --timeout must be from 1 to 3600, not 0
            queues extra                        | queues takes no argument
            show                                | show needs a message ID
            show a b                            | show needs a message ID, one only
            freeze-queue                        | freeze-queue needs a DESTINATION
            list --offset -1 q:25               | --offset must be at least 0, not -1
            list --limit 0 q:25                 | --limit must be at least 1, not 0
            show id1 --limit 5                  | --offset and --limit apply to list and find, not to show
            freeze id1 --ndr                    | --ndr applies to delete and delete-all, not to freeze
            queues --json=yes                   | --json takes no value
            find a b                            | find takes one TEXT
            queues --password pw                | --password without a user
            queues --host=                      | --host must not be empty
            """)
    void malformedCommandLinesAreUsageErrorsThatNameTheArgument(String line, String expected) {
        List<String> args = line.isBlank() ? List.of() : Arrays.asList(line.strip().split("\\s+"));

        CommandFailure failure = assertThrows(CommandFailure.class, () -> Invocation.parse(args, NO_ENVIRONMENT), line);

        assertEquals(ExitCode.USAGE, failure.code(), line);
        assertTrue(failure.getMessage().contains(expected), "'" + failure.getMessage() + "' should contain '" + expected + "'");
    }

    @Test
    void anEmptyIdIsAUsageError() {
        CommandFailure failure = assertThrows(CommandFailure.class, () -> parse("show", ""));
        assertEquals(ExitCode.USAGE, failure.code());
    }

    @Test
    void aPasswordInTheEnvironmentWithoutAUserIsAUsageError() {
        CommandFailure failure = assertThrows(CommandFailure.class,
                () -> Invocation.parse(List.of("queues"), Map.of("OUTBOX_JMX_PASSWORD", "pw")));

        assertEquals(ExitCode.USAGE, failure.code());
        assertTrue(failure.getMessage().contains("OUTBOX_JMX_PASSWORD is set, but without a user"), failure.getMessage());
        assertFalse(failure.getMessage().contains("pw\""), failure.getMessage());
    }

    @Test
    void exitCodesKeepTheirPublicNumbers() {
        assertEquals(0, ExitCode.OK.code());
        assertEquals(1, ExitCode.FAILED.code());
        assertEquals(2, ExitCode.USAGE.code());
        assertEquals(3, ExitCode.UNREACHABLE.code());
        assertEquals(4, ExitCode.AUTHENTICATION.code());
        assertEquals(5, ExitCode.NOT_FOUND.code());
        assertEquals(6, ExitCode.NOT_DEPLOYED.code());
    }

    @Test
    void helpNamesEveryCommandOptionAndExitCode() {
        String help = Command.help();

        for (Command command : Command.values()) {
            assertTrue(help.contains("\n  " + command.word() + " "), "help shows " + command.word());
        }
        for (String option : List.of("--host", "--port", "--user", "--password", "--jboss-home", "--json", "--offset", "--limit", "--ndr",
                "--timeout", "--verbose", "--help", "OUTBOX_JMX_USER", "OUTBOX_JMX_PASSWORD", "JBOSS_HOME")) {
            assertTrue(help.contains(option), "help shows " + option);
        }
        for (ExitCode code : ExitCode.values()) {
            assertTrue(help.contains("  " + code.code() + "  " + code.meaning()), "help shows exit code " + code);
        }
    }

    private static Invocation parse(String... args) {
        return Invocation.parse(List.of(args), NO_ENVIRONMENT);
    }
}
