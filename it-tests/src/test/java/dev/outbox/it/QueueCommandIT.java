package dev.outbox.it;

import dev.outbox.cli.ExitCode;
import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Proves the queue command works the way an operator runs it: {@code bin/outbox-queue} as a
 * process, over remote JMX, against the test server (as WildFly's local user, no credentials):
 * queues lists the smarthost's queue; freeze holds mail while the peer is up, show prints the
 * held message, unfreeze delivers it once; --json parses; an unknown id or destination exits
 * NOT_FOUND with the server's message; a closed port exits UNREACHABLE and wrong credentials
 * AUTHENTICATION, each with a message that says so. Each test leaves the queue unfrozen and
 * deletes what it left in it.
 */
class QueueCommandIT extends SubmitterTestBase {

    private static final Duration DEADLINE = Duration.ofSeconds(30);
    /** How long a frozen message must stay held, when an open queue delivers in well under a second. */
    private static final Duration HOLD = Duration.ofSeconds(3);
    /** How long one run of the command may take (a JVM start and a few JMX calls: about a second). */
    private static final Duration RUN_LIMIT = Duration.ofSeconds(60);
    private static final String SENDER = MarkedMail.SENDER;

    private final String destination = MarkedMail.DESTINATION;
    /** Marks this test's messages (subjects and recipients), so they can be picked out. */
    private String run;

    private ScriptedSmtpServer relay;
    private MarkedMail mail;

    @BeforeEach
    void startRelayAndOpenTheQueue() throws Exception {
        mail = MarkedMail.start(submitter, "c", DEADLINE);
        relay = mail.relay();
        run = mail.mark();
        // The queue (and its MBean) appears with its first message; a killed run may have left it frozen: it stays so across restarts.
        mail.submit("warm-up", mail.recipient("warm-up"));
        Await.until(DEADLINE, () -> queueState() != null, () -> "queue " + destination + " listed by the queues command: "
                + command("queues"));
        unfreezeQueueIfFrozen();
        mail.awaitSubjects(List.of(mail.subject("warm-up")));
    }

    @AfterEach
    void leaveTheQueueUnfrozenWithoutThisTestsMail() {
        try {
            unfreezeQueueIfFrozen();
            Run found = command("find", run, "--json");
            for (String id : found.status() == 0 ? ids(found) : List.<String>of()) {
                command("delete", id); // a test that failed half-way may have left its message frozen: the store outlives the server
            }
        } finally {
            mail.close();
        }
    }

    @Test
    void queuesListsTheSmarthostsQueueAsATableAndAsJson() {
        Run table = command("queues");
        Run json = command("queues", "--json");
        Run status = command("status", "--json");

        assertEquals(0, table.status(), table.toString());
        assertTrue(table.stdout().startsWith("DESTINATION "), table.toString());
        assertTrue(table.stdout().lines().anyMatch(line -> line.startsWith(destination + " ")), "a line for " + destination + ": " + table);
        assertEquals(0, json.status(), json.toString());
        JsonObject queue = queueIn(parse(json));
        assertTrue(List.of("READY", "ACTIVE", "RETRY", "FROZEN", "EMPTY").contains(queue.getString("state")), queue.toString());
        assertTrue(queue.containsKey("messageCount") && queue.containsKey("nextRetryTime") && queue.containsKey("lastError"), queue.toString());
        assertEquals(0, status.status(), status.toString());
        assertFalse(parse(status).getBoolean("paused"), status.toString());
        assertTrue(parse(status).getJsonNumber("delivered").longValue() >= 1, "the warm-up message counted: " + status);
    }

    @Test
    void freezeHoldsMailShowPrintsTheHeldMessageAndUnfreezeDeliversItOnce() throws Exception {
        Run queueFrozen = command("freeze-queue", destination);
        assertEquals(0, queueFrozen.status(), queueFrozen.toString());
        assertEquals("queue " + destination + " is FROZEN\n", queueFrozen.stdout());
        String to = mail.recipient("held");
        String id = mail.submit("held", to);

        assertEquals(List.of(id), ids(command("find", to, "--json")), "find by the recipient");
        Run frozen = command("freeze", id);
        assertEquals(0, frozen.status(), frozen.toString());
        assertEquals("froze 1 recipient of message " + id + "\n", frozen.stdout());
        Run queueOpen = command("unfreeze-queue", destination);
        assertEquals(0, queueOpen.status(), queueOpen.toString());

        holdFor(HOLD, () -> !mail.subjectsReceived().contains(mail.subject("held")), () -> "the frozen message went out: " + relay.received());

        Run shown = command("show", id);
        assertEquals(0, shown.status(), shown.toString());
        assertTrue(shown.stdout().startsWith("Message    " + id + "\n"), shown.toString());
        assertTrue(shown.stdout().contains("Sender     " + SENDER + "\n"), shown.toString());
        assertTrue(shown.stdout().lines().anyMatch(line -> line.startsWith(to + "  " + destination + "  FROZEN ")),
                "the recipient, its queue and FROZEN: " + shown);
        assertTrue(shown.stdout().contains("\n  Subject: " + mail.subject("held") + "\n"), "the headers: " + shown);
        JsonObject detail = parse(command("show", id, "--json"));
        assertEquals(id, detail.getString("id"));
        JsonObject recipient = detail.getJsonArray("recipients").getJsonObject(0);
        assertEquals(to, recipient.getString("address"));
        assertEquals("FROZEN", recipient.getString("state"));

        Run unfrozen = command("unfreeze", id);
        assertEquals(0, unfrozen.status(), unfrozen.toString());
        assertEquals("unfroze 1 recipient of message " + id + "\n", unfrozen.stdout());
        mail.awaitSubjects(List.of(mail.subject("held")));
        Await.until(DEADLINE, () -> ids(command("find", to, "--json")).isEmpty(), "the delivered message no longer live");
        assertEquals(1, mail.subjectsReceived().stream().filter(mail.subject("held")::equals).count(), "copies: " + relay.received());
    }

    @Test
    void anUnknownIdOrDestinationExitsNotFoundWithTheServersMessage() {
        String unknown = "no-such-id-" + run;

        Run shown = command("show", unknown);
        Run frozen = command("freeze", unknown);
        Run listed = command("list", "nowhere.example:25");

        int notFound = ExitCode.NOT_FOUND.code();
        assertEquals(notFound, shown.status(), shown.toString());
        assertEquals("", shown.stdout(), shown.toString());
        assertTrue(shown.stderr().startsWith("outbox-queue: no queued message has id \"" + unknown + "\""), shown.toString());
        assertEquals(notFound, frozen.status(), frozen.toString());
        assertTrue(frozen.stderr().contains("no queued message has id \"" + unknown + "\""), frozen.toString());
        assertEquals(notFound, listed.status(), listed.toString());
        assertTrue(listed.stderr().contains("there is no transfer queue \"nowhere.example:25\"; queues: [") && listed.stderr().contains(destination),
                listed.toString());
    }

    @Test
    void aClosedPortExitsUnreachableAndWrongCredentialsExitAuthentication() throws IOException {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }

        Run down = script(List.of("--port", Integer.toString(closed), "queues"), Map.of());
        Run refused = command("queues", "--user", "nobody-" + run, "--password", "wrong-" + run);

        assertEquals(ExitCode.UNREACHABLE.code(), down.status(), down.toString());
        assertEquals("", down.stdout(), down.toString());
        assertTrue(down.stderr().startsWith("outbox-queue: cannot connect to service:jmx:remote+http://127.0.0.1:" + closed
                + ": Connection refused"), down.toString());
        assertEquals(ExitCode.AUTHENTICATION.code(), refused.status(), refused.toString());
        assertTrue(refused.stderr().contains("refused user \"nobody-" + run + "\""), refused.toString());
        assertFalse(refused.stdout().contains("wrong-" + run) || refused.stderr().contains("wrong-" + run), "the password shown: " + refused);
    }

    /** One run of the command: its exit status and what it printed. */
    record Run(int status, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr + "---";
        }
    }

    /** Runs bin/outbox-queue against the test server's management port. */
    private static Run command(String... args) {
        List<String> all = new ArrayList<>(List.of("--port", Integer.toString(Integer.getInteger("it.management.port", 10090))));
        all.addAll(List.of(args));
        return script(all, Map.of());
    }

    /** Runs bin/outbox-queue with {@code args}, JBOSS_HOME the test server's, no credentials in the environment. */
    private static Run script(List<String> args, Map<String, String> environment) {
        List<String> commandLine = new ArrayList<>();
        commandLine.add(scriptPath().toString());
        commandLine.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(commandLine);
        builder.environment().remove("OUTBOX_JMX_USER");
        builder.environment().remove("OUTBOX_JMX_PASSWORD");
        builder.environment().put("JBOSS_HOME", System.getProperty("jboss.home"));
        builder.environment().putAll(environment);
        try {
            Path out = Files.createTempFile("outbox-queue", ".out");
            Path err = Files.createTempFile("outbox-queue", ".err");
            try {
                Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
                if (!process.waitFor(RUN_LIMIT.toSeconds(), TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    fail("outbox-queue " + args + " did not end within " + RUN_LIMIT);
                }
                return new Run(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            } finally {
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("running " + commandLine, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + commandLine, e);
        }
    }

    /** bin/outbox-queue of this checkout: the tests run in it-tests/. */
    private static Path scriptPath() {
        for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path script = dir.resolve("bin").resolve("outbox-queue");
            if (Files.isExecutable(script)) {
                return script;
            }
        }
        throw new AssertionError("no executable bin/outbox-queue above " + System.getProperty("user.dir"));
    }

    /** The smarthost queue's state as the queues command reports it, or null when it is not listed. */
    private String queueState() {
        Run queues = command("queues", "--json");
        if (queues.status() != 0) {
            return null;
        }
        for (JsonObject queue : parse(queues).getJsonArray("queues").getValuesAs(JsonObject.class)) {
            if (destination.equals(queue.getString("destination"))) {
                return queue.getString("state");
            }
        }
        return null;
    }

    private void unfreezeQueueIfFrozen() {
        if ("FROZEN".equals(queueState())) {
            Run unfrozen = command("unfreeze-queue", destination);
            assertEquals(0, unfrozen.status(), unfrozen.toString());
        }
    }

    private JsonObject queueIn(JsonObject answer) {
        return answer.getJsonArray("queues").getValuesAs(JsonObject.class).stream()
                .filter(queue -> destination.equals(queue.getString("destination"))).findFirst()
                .orElseThrow(() -> new AssertionError(destination + " among " + answer));
    }

    private static List<String> ids(Run found) {
        assertEquals(0, found.status(), found.toString());
        JsonArray messages = parse(found).getJsonArray("messages");
        return messages.getValuesAs(JsonObject.class).stream().map(message -> message.getString("id")).toList();
    }

    /** The command's standard output as a JSON object; fails with the run when it is not one. */
    private static JsonObject parse(Run run) {
        try (JsonReader reader = Json.createReader(new StringReader(run.stdout()))) {
            JsonValue value = reader.read();
            assertEquals(JsonValue.ValueType.OBJECT, value.getValueType(), run.toString());
            return value.asJsonObject();
        } catch (jakarta.json.JsonException e) {
            throw new AssertionError("not JSON: " + e.getMessage() + "\n" + run, e);
        }
    }


    /**
     * Waits {@code window} while {@code stillTrue} keeps holding; fails at once, with what
     * {@code whatFailed} says, when it stops.
     */
    private static void holdFor(Duration window, BooleanSupplier stillTrue, Supplier<String> whatFailed) {
        long end = System.nanoTime() + window.toNanos();
        Await.until(window.plusSeconds(5), () -> {
            if (!stillTrue.getAsBoolean()) {
                throw new AssertionError(whatFailed.get());
            }
            return System.nanoTime() - end >= 0;
        }, "the end of a " + window + " window");
    }
}
