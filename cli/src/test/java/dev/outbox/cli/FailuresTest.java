package dev.outbox.cli;

import org.junit.jupiter.api.Test;

import javax.management.JMRuntimeException;
import javax.management.MBeanException;
import javax.management.RuntimeMBeanException;
import javax.security.sasl.SaslException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the exceptions of WildFly's JMX client and of the MBeans become: the exit code a script
 * branches on and a message that says what to do. The shapes are those seen from WildFly 39.
 */
class FailuresTest {

    private static final Server LOCAL = new Server("127.0.0.1", 9990, null, null, 10);
    private static final Server OPS = new Server("mx1", 9990, "ops", "s3cret-pw", 10);

    @Test
    void aRefusedConnectionIsUnreachableAndNamesTheUrl() {
        CommandFailure failure = Failures.connecting(LOCAL, new ConnectException("Connection refused"));

        assertEquals(ExitCode.UNREACHABLE, failure.code());
        assertEquals("cannot connect to service:jmx:remote+http://127.0.0.1:9990: Connection refused (is WildFly running, with its"
                + " management interface on 127.0.0.1:9990?)", failure.getMessage());
    }

    @Test
    void anUnknownHostOrAPortThatSpeaksNoJmxIsUnreachable() {
        assertEquals(ExitCode.UNREACHABLE, Failures.connecting(OPS, new IOException(new UnknownHostException("mx1"))).code());
        CommandFailure wrongPort = Failures.connecting(LOCAL, new IOException("Unknown service name jmx"));
        assertEquals(ExitCode.UNREACHABLE, wrongPort.code());
        assertTrue(wrongPort.getMessage().contains("is 9990 its management port"), wrongPort.getMessage());
    }

    @Test
    void aSaslRefusalIsAuthenticationAndNeverShowsThePassword() {
        SaslException refused = new SaslException("Authentication failed: all available authentication mechanisms failed:\n"
                + "   DIGEST-MD5: javax.security.sasl.SaslException: DIGEST-MD5: Server rejected authentication");

        CommandFailure withUser = Failures.connecting(OPS, refused);
        CommandFailure withoutUser = Failures.connecting(LOCAL, new IOException(refused));

        assertEquals(ExitCode.AUTHENTICATION, withUser.code());
        assertTrue(withUser.getMessage().contains("refused user \"ops\" with that password"), withUser.getMessage());
        assertTrue(withUser.getMessage().contains("Server rejected authentication"), withUser.getMessage());
        assertFalse(withUser.getMessage().contains("s3cret-pw"), withUser.getMessage());
        assertFalse(withUser.getMessage().contains("\n"), "one line: " + withUser.getMessage());
        assertEquals(ExitCode.AUTHENTICATION, withoutUser.code());
        assertTrue(withoutUser.getMessage().contains("without credentials"), withoutUser.getMessage());
        assertTrue(withoutUser.getMessage().contains("OUTBOX_JMX_USER"), withoutUser.getMessage());
    }

    @Test
    void theServersIllegalArgumentExceptionIsNotFoundWithItsOwnMessage() {
        String message = "no queued message has id \"nope\" (it may be finished already)";
        RuntimeMBeanException thrown = new RuntimeMBeanException(new IllegalArgumentException(message), "java.lang.IllegalArgumentException: " + message);

        CommandFailure failure = Failures.calling(LOCAL, "getMessage on outbox:type=QueueManager", thrown);

        assertEquals(ExitCode.NOT_FOUND, failure.code());
        assertEquals(message, failure.getMessage());
        assertSame(thrown, failure.getCause());
    }

    @Test
    void wildFlysRbacRefusalIsAuthentication() {
        JMRuntimeException refused = new JMRuntimeException("WFLYJMX0040: Not authorized to invoke operation: 'freeze'");

        CommandFailure failure = Failures.calling(OPS, "freeze on outbox:type=Queue,destination=\"q:25\"", refused);

        assertEquals(ExitCode.AUTHENTICATION, failure.code());
        assertTrue(failure.getMessage().contains("WFLYJMX0040: Not authorized to invoke operation: 'freeze'"), failure.getMessage());
        assertTrue(failure.getMessage().contains("Operator"), failure.getMessage());
    }

    @Test
    void anyOtherRefusalIsFailedWithTheServersMessage() {
        String message = "a non-delivery report needs delivery status notifications, which Outbox does not send yet";
        CommandFailure failure = Failures.calling(LOCAL, "deleteMessage", new RuntimeMBeanException(new UnsupportedOperationException(message)));
        CommandFailure checked = Failures.calling(LOCAL, "deleteMessage", new MBeanException(new IllegalStateException("store closed")));

        assertEquals(ExitCode.FAILED, failure.code());
        assertEquals(message, failure.getMessage());
        assertEquals("store closed", checked.getMessage());
    }

    @Test
    void aConnectionLostDuringACallIsUnreachable() {
        CommandFailure failure = Failures.calling(LOCAL, "getAttributes", new IOException("Channel closed"));

        assertEquals(ExitCode.UNREACHABLE, failure.code());
        assertTrue(failure.getMessage().startsWith("lost the connection to service:jmx:remote+http://127.0.0.1:9990"), failure.getMessage());
    }
}
