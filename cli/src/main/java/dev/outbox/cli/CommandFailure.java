package dev.outbox.cli;

import java.util.Objects;

/**
 * Why a command could not do its work: a message for the operator, one line that names what
 * failed, and the {@link ExitCode} a script branches on. Thrown by {@link Invocation} (usage) and
 * {@link RemoteOutbox} (everything the server says or does not say); {@link QueueCommand} prints
 * it and exits with its code.
 */
final class CommandFailure extends RuntimeException {

    private final ExitCode code;

    CommandFailure(ExitCode code, String message) {
        this(code, message, null);
    }

    CommandFailure(ExitCode code, String message, Throwable cause) {
        super(Objects.requireNonNull(message, "message"), cause);
        if (code == ExitCode.OK) {
            throw new IllegalArgumentException("a failure cannot exit with OK: " + message);
        }
        this.code = code;
    }

    static CommandFailure usage(String message) {
        return new CommandFailure(ExitCode.USAGE, message);
    }

    ExitCode code() {
        return code;
    }
}
