package dev.outbox.it;

import org.jboss.arquillian.container.test.api.Deployment;
import org.jboss.arquillian.container.test.api.OperateOnDeployment;
import org.jboss.arquillian.container.test.api.RunAsClient;
import org.jboss.arquillian.junit5.ArquillianExtension;
import org.jboss.arquillian.test.api.ArquillianResource;
import org.jboss.shrinkwrap.api.spec.EnterpriseArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URL;

/**
 * Deploys Outbox's EAR and, apart from it, the test application {@code submitter.war}, whose
 * URL the tests call from the client side.
 */
@ExtendWith(ArquillianExtension.class)
@RunAsClient
abstract class SubmitterTestBase {

    @Deployment(name = "outbox", order = 1, testable = false)
    static EnterpriseArchive outbox() {
        return Deployments.outboxEar();
    }

    @Deployment(name = "submitter", order = 2, testable = false)
    static WebArchive submitter() {
        return Deployments.submitterWar();
    }

    @ArquillianResource
    @OperateOnDeployment("submitter")
    URL submitter;
}
