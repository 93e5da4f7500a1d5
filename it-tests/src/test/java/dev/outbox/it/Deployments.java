package dev.outbox.it;

import org.jboss.shrinkwrap.api.ShrinkWrap;
import org.jboss.shrinkwrap.api.asset.StringAsset;
import org.jboss.shrinkwrap.api.spec.EnterpriseArchive;
import org.jboss.shrinkwrap.api.spec.WebArchive;

import java.io.File;

/**
 * The archives the integration tests deploy: Outbox's EAR as the build made it, the demo WAR,
 * and a small test application that lives outside the EAR, as any user's application does.
 */
final class Deployments {

    /** The manifest line an application outside the EAR needs to see the Outbox API. */
    static final String OUTBOX_API_DEPENDENCY = "deployment.outbox.ear.outbox-rar.rar";

    private Deployments() {
    }

    /** outbox.ear, built by the ear module. */
    static EnterpriseArchive outboxEar() {
        return ShrinkWrap.createFromZipFile(EnterpriseArchive.class, deployable("outbox.ear"));
    }

    /** outbox-demo.war, built by demo/app. */
    static WebArchive demoWar() {
        return ShrinkWrap.createFromZipFile(WebArchive.class, deployable("outbox-demo.war"));
    }

    /**
     * submitter.war: servlets that inject {@code java:/eis/Outbox} and the retry-timer admin
     * object. It does not bundle the API jar (two copies of the types would break injection);
     * it declares the dependency in its manifest instead.
     */
    static WebArchive submitterWar() {
        return ShrinkWrap.create(WebArchive.class, "submitter.war")
                .addClasses(SubmitServlet.class, RetryTimersServlet.class)
                .setManifest(new StringAsset("Manifest-Version: 1.0\nDependencies: " + OUTBOX_API_DEPENDENCY + "\n"));
    }

    /** A file the build copied into {@code it.deployables}: outbox.ear, outbox-demo.war, hawtio.war. */
    static File deployable(String name) {
        File file = new File(System.getProperty("it.deployables", "target/deployables"), name);
        if (!file.isFile()) {
            throw new IllegalStateException(file + " is missing: run the build through Maven (mvn verify), which copies it there");
        }
        return file;
    }
}
