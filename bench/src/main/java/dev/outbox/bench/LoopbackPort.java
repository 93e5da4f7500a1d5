package dev.outbox.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.Set;

/**
 * A free TCP port on 127.0.0.1 for a server the harness starts (the SMTP sinks, Postfix's
 * smtpd), never one of the fixed ports the project's own servers use (the integration tests'
 * WildFly and SMTP server, a demo server), so that a benchmark run beside a build does not take
 * them.
 *
 * <p>{@link #free} asks the kernel for a port and tries again while it gives a reserved one.
 * The port is free when asked; a server that then fails to bind it asks again.
 */
final class LoopbackPort {

    /** it-tests' HTTP, management and SMTP ports; WildFly's defaults (./bin/run). */
    static final Set<Integer> RESERVED = Set.of(8080, 8180, 9990, 10090, 40025);

    private LoopbackPort() {
    }

    static int free() throws IOException {
        while (true) {
            try (ServerSocket probe = new ServerSocket()) {
                probe.bind(new InetSocketAddress("127.0.0.1", 0));
                if (!RESERVED.contains(probe.getLocalPort())) {
                    return probe.getLocalPort();
                }
            }
        }
    }
}
