package dev.outbox.cli;

/**
 * The queue command's exit status, one per case a calling script must tell apart. The numbers
 * are public (README, {@code --help}): never renumber one.
 */
public enum ExitCode {

    /** The command did what it was asked. */
    OK(0, "done"),
    /** The server refused or failed the operation for another reason (its message says why). */
    FAILED(1, "the server refused or failed the operation"),
    /** Unknown command or option, missing or malformed argument, or no client jar to connect with. */
    USAGE(2, "usage error"),
    /** Nothing answers at host:port, or what answers is no WildFly management interface. */
    UNREACHABLE(3, "server unreachable"),
    /** The server refused the credentials, or the user may not do that (WildFly's RBAC). */
    AUTHENTICATION(4, "authentication refused or not authorized"),
    /** No live message with that id, or no transfer queue for that destination. */
    NOT_FOUND(5, "no such message or queue"),
    /** The server answers but has no {@code outbox:type=QueueManager}: Outbox is not deployed. */
    NOT_DEPLOYED(6, "Outbox is not deployed");

    private final int code;
    private final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    public int code() {
        return code;
    }

    /** A few words for {@code --help}. */
    public String meaning() {
        return meaning;
    }
}
