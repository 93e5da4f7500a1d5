package dev.outbox.it;

import org.jboss.arquillian.container.test.api.ContainerController;
import org.jboss.arquillian.container.test.api.Deployer;
import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.container.test.api.TargetsContainer;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.EnterpriseArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.file.Path;

/**
 * The tests of failsafe's {@code crash} execution: each starts the {@code crash} container (the
 * unpacked server, default base directory) itself, deploys Outbox's EAR and {@code submitter.war},
 * kills the server with kill -9 and starts it again, as it needs.
 *
 * <p>{@link #startWithEmptyStore()} starts from an empty store; {@link #killDashNine()} kills the
 * running server, and {@code controller.start(CONTAINER)} starts it again (the deployments are in
 * its configuration, so they come back); {@link #stop()} undeploys, stops and deletes the store,
 * so that nothing a crash test left queued reaches the servers of a later build. Call
 * {@link #stop()} in a {@code finally}.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
abstract class CrashServerTestBase {

    static final String CONTAINER = "crash";

    @Deployment(name = "outbox", order = 1, managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static EnterpriseArchive outbox() {
        return Deployments.outboxEar();
    }

    @Deployment(name = "submitter", order = 2, managed = false, testable = false)
    @TargetsContainer(CONTAINER)
    static WebArchive submitter() {
        return Deployments.submitterWar();
    }

    @ArquillianResource
    ContainerController controller;

    @ArquillianResource
    Deployer deployer;

    final Path jbossHome = Path.of(System.getProperty("jboss.home"));

    /** Deletes the store, starts the server and deploys Outbox and the submitter. */
    void startWithEmptyStore() throws IOException {
        ServerProcess.deleteStore(jbossHome);
        controller.start(CONTAINER);
        deployer.deploy("outbox");
        deployer.deploy("submitter");
    }

    /** kill -9 of the running server; {@code controller.start(CONTAINER)} starts it again, and Outbox recovers its store. */
    void killDashNine() {
        killDashNine(ServerProcess.find(jbossHome));
    }

    /** kill -9 of {@code server}, the running server found ahead ({@link ServerProcess#find}) for a kill at a chosen moment. */
    void killDashNine(ProcessHandle server) {
        ServerProcess.kill(server);
        controller.kill(CONTAINER); // tells Arquillian the process is gone
    }

    /** Undeploys, stops the server and deletes its store. */
    void stop() throws IOException {
        try {
            deployer.undeploy("submitter");
            deployer.undeploy("outbox");
            controller.stop(CONTAINER);
        } finally {
            ServerProcess.deleteStore(jbossHome);
        }
    }

    /** The submitter application of the running server. */
    static URL submitterUrl() {
        try {
            return new URL("http://127.0.0.1:" + (8080 + Integer.getInteger("it.port.offset", 100)) + "/submitter/");
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }
}
