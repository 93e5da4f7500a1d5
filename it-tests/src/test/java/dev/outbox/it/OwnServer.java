package dev.outbox.it;

import dev.outbox.testing.ServerBase;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A WildFly of a test's own: a base directory of its own (a copy of the unpacked server's
 * {@code standalone/configuration}), so the users the test adds and the configuration it
 * changes never reach the servers of the other tests, and the scripts it runs there
 * ({@code add-user.sh}, {@code jboss-cli.sh}) as an operator would.
 */
final class OwnServer {

    private final Path jbossHome;
    private final Path base;
    private final int managementPort = Integer.getInteger("it.management.port", 10090);

    /** The server at {@code jboss.home} with the base directory {@code base}; nothing is made yet. */
    OwnServer(Path base) {
        this.jbossHome = Path.of(System.getProperty("jboss.home"));
        this.base = base;
    }

    Path jbossHome() {
        return jbossHome;
    }

    Path base() {
        return base;
    }

    int httpPort() {
        return 8080 + Integer.getInteger("it.port.offset", 100);
    }

    /**
     * A fresh base directory: the unpacked server's configuration (without its history) and an
     * empty deployments folder. Fails plainly if another server holds the test ports: it would
     * answer in this one's place, and Arquillian would deploy to it.
     */
    void prepare() throws IOException {
        assertPortFree(managementPort);
        assertPortFree(httpPort());
        ServerBase.fresh(jbossHome, base);
    }

    /** A management user (ManagementRealm), in {@code group} unless it is null. */
    void addManagementUser(String user, String password, String group) throws IOException, InterruptedException {
        addUser(List.of(), user, password, group);
    }

    /** An application user (ApplicationRealm, the {@code other} security domain), in {@code group} unless it is null. */
    void addApplicationUser(String user, String password, String group) throws IOException, InterruptedException {
        addUser(List.of("-a"), user, password, group);
    }

    private void addUser(List<String> realm, String user, String password, String group) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(jbossHome.resolve("bin/add-user.sh").toString(), "-sc",
                base.resolve("configuration").toString(), "-s"));
        command.addAll(realm);
        command.addAll(List.of("-u", user, "-p", password));
        if (group != null) {
            command.addAll(List.of("-g", group));
        }
        run(command, "add-user.sh " + String.join(" ", realm) + " " + user);
    }

    /** Runs the CLI script {@code resource} (from the test class path) as {@code user}; every line must succeed. */
    void runCliScript(String resource, String user, String password) throws IOException, InterruptedException, URISyntaxException {
        Path script = Path.of(OwnServer.class.getResource("/" + resource).toURI());
        runCli("--file=" + script, user, password);
    }

    /**
     * Runs one CLI command, given with {@code --command} as an operator types it in README (a
     * command holding commas must not go through {@code --commands}, which splits at them);
     * {@code user} null connects without credentials (WildFly's {@code $local}).
     */
    String runCli(String commandOption, String user, String password) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(jbossHome.resolve("bin/jboss-cli.sh").toString(), "--connect",
                "--controller=remote+http://127.0.0.1:" + managementPort));
        if (user != null) {
            command.addAll(List.of("--user=" + user, "--password=" + password));
        }
        command.add(commandOption);
        String output = run(command, "jboss-cli.sh " + commandOption);
        assertTrue(!output.contains("\"outcome\" => \"failed\""), "every CLI line succeeded:\n" + output);
        return output;
    }

    private static String run(List<String> command, String what) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(120, TimeUnit.SECONDS), what + " finished");
        assertEquals(0, process.exitValue(), what + " failed:\n" + output);
        return output;
    }

    private static void assertPortFree(int port) {
        try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
            socket.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError("port " + port + " is taken (another server runs on the test ports?): " + e.getMessage(), e);
        }
    }

}
