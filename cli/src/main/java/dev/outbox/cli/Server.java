package dev.outbox.cli;

import javax.management.remote.JMXServiceURL;
import java.net.MalformedURLException;

/**
 * Where and as whom the command connects: the management interface's host and port, a user and
 * password or none (WildFly's local authentication), and how long connecting may take.
 *
 * <p>{@link #toString()} never shows the password; nothing else in the command prints it.
 *
 * @param user     a management user, or null for none
 * @param password the user's password, or null when there is no user yet to ask it for
 */
record Server(String host, int port, String user, String password, int timeoutSeconds) {

    /** {@code service:jmx:remote+http://host:port}, the URL {@code bin/jconsole.sh} connects to. */
    JMXServiceURL url() {
        try {
            return new JMXServiceURL("remote+http", host, port);
        } catch (MalformedURLException e) {
            throw CommandFailure.usage("--host " + host + " makes no JMX service URL: " + e.getMessage());
        }
    }

    Server withPassword(String password) {
        return new Server(host, port, user, password, timeoutSeconds);
    }

    @Override
    public String toString() {
        return "Server[" + url() + (user == null ? ", no user" : ", user " + user + (password == null ? "" : ", password ***"))
                + ", timeout " + timeoutSeconds + "s]";
    }
}
