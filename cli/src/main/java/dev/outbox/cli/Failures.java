package dev.outbox.cli;

import javax.management.JMRuntimeException;
import javax.management.MBeanException;
import javax.management.ReflectionException;
import javax.management.RuntimeErrorException;
import javax.management.RuntimeMBeanException;
import javax.management.RuntimeOperationsException;
import javax.security.auth.login.LoginException;
import javax.security.sasl.SaslException;
import java.io.IOException;
import java.lang.reflect.UndeclaredThrowableException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * Classifies what went wrong talking to the server into the {@link ExitCode} a script branches
 * on, with a message an operator can act on. Exceptions are told apart by type along the cause
 * chain (and WildFly's JMX authorization failures by their message code, WFLYJMX0037 to 0040),
 * never by other text. Stateless.
 *
 * <p>Connecting: a SASL or security failure is AUTHENTICATION; anything else (refused, unknown
 * host, timeout, a port that speaks no JMX) is UNREACHABLE. Calling: the server's
 * IllegalArgumentException is NOT_FOUND with its own message (an unknown message id); WildFly's
 * RBAC refusal is AUTHENTICATION; a lost connection is UNREACHABLE; any other exception the
 * operation threw is FAILED with its message.
 */
final class Failures {

    /** The class that makes {@code remote+http} a JMX protocol; in WildFly's bin/client/jboss-client.jar. */
    static final String REMOTING_PROVIDER = "org.jboss.remotingjmx.RemotingConnectorProvider";
    /** Set by bin/outbox-queue: the client jar it looked for, for the message when it is missing. */
    static final String CLIENT_JAR_PROPERTY = "outbox.queue.jboss-client";

    /** WFLYJMX0037 unauthorized, 0038 to 0040 not authorized to write, read, invoke. */
    private static final Pattern NOT_AUTHORIZED = Pattern.compile("^WFLYJMX00(37|38|39|40):.*", Pattern.DOTALL);

    private Failures() {
    }

    /** Fails with USAGE unless WildFly's remote+http connector is on the class path. */
    static void requireRemotingConnector() {
        try {
            Class.forName(REMOTING_PROVIDER, false, Failures.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            String tried = System.getProperty(CLIENT_JAR_PROPERTY, "");
            throw new CommandFailure(ExitCode.USAGE, "WildFly's JMX client is not on the class path"
                    + (tried.isEmpty() ? "" : " (no " + tried + ")")
                    + ": set JBOSS_HOME or pass --jboss-home DIR, the WildFly whose bin/client/jboss-client.jar to use");
        }
    }

    /** Why {@link RemoteOutbox#connect} failed. */
    static CommandFailure connecting(Server server, Throwable failure) {
        String url = server.url().toString();
        Throwable refusal = authentication(failure);
        if (refusal != null) {
            String why = " (" + text(refusal) + ")";
            String message = server.user() == null
                    ? "the server at " + url + " refused this client without credentials" + why + ". WildFly's local user $local works"
                    + " only on the server's own machine, for a system user that can read its data directory: pass --user, or set "
                    + Invocation.USER_VARIABLE + " and " + Invocation.PASSWORD_VARIABLE
                    : "the server at " + url + " refused user \"" + server.user() + "\" with that password" + why
                    + ": use a management user of the server's bin/add-user.sh";
            return new CommandFailure(ExitCode.AUTHENTICATION, message, failure);
        }
        Throwable refused = find(failure, ConnectException.class);
        if (refused != null) {
            return new CommandFailure(ExitCode.UNREACHABLE, "cannot connect to " + url + ": " + text(refused)
                    + " (is WildFly running, with its management interface on " + server.host() + ":" + server.port() + "?)", failure);
        }
        if (find(failure, UnknownHostException.class) != null) {
            return new CommandFailure(ExitCode.UNREACHABLE, "cannot connect to " + url + ": unknown host " + server.host(), failure);
        }
        if (find(failure, NoRouteToHostException.class) != null) {
            return new CommandFailure(ExitCode.UNREACHABLE, "cannot connect to " + url + ": no route to host " + server.host(), failure);
        }
        return new CommandFailure(ExitCode.UNREACHABLE, "cannot connect to " + url + ": " + text(failure)
                + " (no WildFly management interface answered there within " + server.timeoutSeconds() + "s: is " + server.port()
                + " its management port, 9990 plus any port offset?)", failure);
    }

    /** Why a JMX call ({@code what}, e.g. "getMessage on outbox:type=QueueManager") failed. */
    static CommandFailure calling(Server server, String what, Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof IllegalArgumentException) {
            return new CommandFailure(ExitCode.NOT_FOUND, text(cause), failure);
        }
        if (cause instanceof SecurityException || cause instanceof JMRuntimeException && cause.getMessage() != null
                && NOT_AUTHORIZED.matcher(cause.getMessage()).matches()) {
            String user = server.user() == null ? "$local" : "\"" + server.user() + "\"";
            return new CommandFailure(ExitCode.AUTHENTICATION, "the server refused " + what + " to user " + user + ": " + text(cause)
                    + " (with RBAC on, changing the queues needs the Operator, Maintainer, Administrator or SuperUser role)", failure);
        }
        if (cause instanceof IOException) {
            return new CommandFailure(ExitCode.UNREACHABLE, "lost the connection to " + server.url() + " during " + what + ": "
                    + text(cause), failure);
        }
        return new CommandFailure(ExitCode.FAILED, text(cause), failure);
    }

    /** The exception the MBean threw, out of the JMX wrappers around it. */
    static Throwable unwrap(Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; depth < 10; depth++) {
            Throwable inner;
            if (current instanceof RuntimeMBeanException e) {
                inner = e.getTargetException();
            } else if (current instanceof RuntimeOperationsException e) {
                inner = e.getTargetException();
            } else if (current instanceof RuntimeErrorException e) {
                inner = e.getTargetError();
            } else if (current instanceof MBeanException e) {
                inner = e.getTargetException();
            } else if (current instanceof ReflectionException e) {
                inner = e.getTargetException();
            } else if (current instanceof UndeclaredThrowableException e) {
                inner = e.getUndeclaredThrowable();
            } else {
                inner = null;
            }
            if (inner == null) {
                return current;
            }
            current = inner;
        }
        return current;
    }

    /** The SASL, login or security failure in the chain, if any. */
    private static Throwable authentication(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SaslException || t instanceof LoginException || t instanceof SecurityException) {
                return t;
            }
        }
        return null;
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    /** One line: the message, or the class name when there is none. */
    static String text(Throwable failure) {
        String message = failure.getMessage();
        if (message == null || message.isBlank()) {
            return failure.getClass().getSimpleName();
        }
        return message.strip().replaceAll("\\s*\\R\\s*", " ");
    }
}
