package dev.outbox.cli;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The queue command's subcommands: each one's name on the command line, the argument it takes,
 * the options that apply to it, and its line in {@code --help}. {@link #help()} is the whole
 * help text, written from this list, so a command cannot exist without its documentation.
 */
enum Command {

    QUEUES("queues", Operand.NONE, Group.SHOW,
            "each queue: destination, state, messages, oldest, next retry, last error"),
    LIST("list", Operand.DESTINATION, Group.SHOW,
            "the messages waiting in that queue, oldest first (--offset, --limit)"),
    FIND("find", Operand.TEXT, Group.SHOW,
            "live messages with TEXT in id, sender or a recipient (--offset, --limit)"),
    SHOW("show", Operand.ID, Group.SHOW,
            "a message: envelope; recipients: state, due, attempts, last reply; headers"),
    STATUS("status", Operand.NONE, Group.SHOW,
            "counts: recipients by state, totals since start, paused, retry policy"),

    FREEZE("freeze", Operand.ID, Group.MESSAGE, "hold every unfinished recipient of the message"),
    UNFREEZE("unfreeze", Operand.ID, Group.MESSAGE, "release the message's frozen recipients"),
    RETRY("retry", Operand.ID, Group.MESSAGE, "route the message again; its deferred recipients are due now"),
    DELETE("delete", Operand.ID, Group.MESSAGE, "delete the message's unfinished recipients (--ndr)"),

    FREEZE_QUEUE("freeze-queue", Operand.DESTINATION, Group.QUEUE, "hold the whole queue (it stays frozen across a restart)"),
    UNFREEZE_QUEUE("unfreeze-queue", Operand.DESTINATION, Group.QUEUE, "release the queue"),
    RETRY_QUEUE("retry-queue", Operand.DESTINATION, Group.QUEUE,
            "end the queue's wait for its retry time; deferred recipients due now"),
    DELETE_ALL("delete-all", Operand.DESTINATION, Group.QUEUE, "delete every unfinished recipient in the queue (--ndr)"),

    PAUSE("pause", Operand.NONE, Group.OUTBOX, "open no new connection until resume; open ones finish their message"),
    RESUME("resume", Operand.NONE, Group.OUTBOX, "deliver again after pause"),
    RETRY_ALL("retry-all", Operand.NONE, Group.OUTBOX, "all queues: end the wait for retry time; deferred recipients due now"),
    HELP("help", Operand.NONE, Group.OUTBOX, "this text");

    /** What follows the command's name. */
    enum Operand {
        NONE(""), ID("ID"), DESTINATION("DESTINATION"), TEXT("[TEXT]");

        final String synopsis;

        Operand(String synopsis) {
            this.synopsis = synopsis;
        }
    }

    enum Group {
        SHOW("Show"), MESSAGE("One message (ID as the list, find and show commands print it)"),
        QUEUE("One queue (DESTINATION as the queues command prints it, host:port)"), OUTBOX("All of Outbox");

        final String title;

        Group(String title) {
            this.title = title;
        }
    }

    /** The program's name in messages and help. */
    static final String PROGRAM = "outbox-queue";
    static final int DEFAULT_LIMIT = 100;
    static final int DEFAULT_PORT = 9990;
    static final String DEFAULT_HOST = "127.0.0.1";
    static final int DEFAULT_TIMEOUT_SECONDS = 10;

    private final String word;
    private final Operand operand;
    private final Group group;
    private final String summary;

    Command(String word, Operand operand, Group group, String summary) {
        this.word = word;
        this.operand = operand;
        this.group = group;
        this.summary = summary;
    }

    /** The name typed on the command line. */
    String word() {
        return word;
    }

    Operand operand() {
        return operand;
    }

    /** Whether --offset and --limit apply. */
    boolean paged() {
        return this == LIST || this == FIND;
    }

    /** Whether --ndr applies. */
    boolean deletes() {
        return this == DELETE || this == DELETE_ALL;
    }

    static Optional<Command> named(String word) {
        return Arrays.stream(values()).filter(command -> command.word.equals(word)).findFirst();
    }

    static String words() {
        return Arrays.stream(values()).map(Command::word).collect(Collectors.joining(", "));
    }

    /** The full {@code --help} text: synopsis, commands by group, options, environment, exit codes. */
    static String help() {
        StringBuilder text = new StringBuilder();
        text.append("Usage: ").append(PROGRAM).append(" [OPTIONS] COMMAND [ARGUMENT]\n\n")
                .append("Shows and manages Outbox's outbound mail queues in a running WildFly, over remote JMX\n")
                .append("(service:jmx:remote+http://HOST:PORT, WildFly's management interface), like mailq,\n")
                .append("postqueue and postsuper do for Postfix.\n");
        for (Group group : Group.values()) {
            text.append('\n').append(group.title).append('\n');
            for (Command command : values()) {
                if (command.group == group) {
                    String synopsis = (command.word + " " + command.operand.synopsis).strip();
                    text.append(String.format(Locale.ROOT, "  %-26s  %s\n", synopsis, command.summary));
                }
            }
        }
        text.append("\nOptions\n");
        option(text, "--host HOST", "the server's management interface (default " + DEFAULT_HOST + ")");
        option(text, "--port PORT", "its port (default " + DEFAULT_PORT + ")");
        option(text, "--user USER", "management user (bin/add-user.sh), default $OUTBOX_JMX_USER; none: WildFly's");
        option(text, "", "local user $local, for a client on the server's machine");
        option(text, "--password PASSWORD", "its password, default $OUTBOX_JMX_PASSWORD, else asked on the terminal;");
        option(text, "", "prefer the variable: other users can see a command line");
        option(text, "--jboss-home DIR", "the WildFly whose bin/client/jboss-client.jar connects (default $JBOSS_HOME)");
        option(text, "--json", "print JSON for scripts instead of tables (field names are stable)");
        option(text, "--offset N", "list, find: skip the first N messages (default 0)");
        option(text, "--limit N", "list, find: print at most N messages (default " + DEFAULT_LIMIT + ")");
        option(text, "--ndr", "delete, delete-all: and send each sender a bounce (a delivery status");
        option(text, "", "notification) for the recipients deleted");
        option(text, "--timeout SECONDS", "give up connecting after SECONDS (default " + DEFAULT_TIMEOUT_SECONDS + ")");
        option(text, "--verbose", "show the JMX client's log and the full error of a failure");
        option(text, "-h, --help", "this text");
        text.append("\nExit codes\n");
        for (ExitCode code : ExitCode.values()) {
            text.append(String.format(Locale.ROOT, "  %d  %s\n", code.code(), code.meaning()));
        }
        text.append("\nExamples\n")
                .append("  ").append(PROGRAM).append(" queues\n")
                .append("  ").append(PROGRAM).append(" list 127.0.0.1:2525 --limit 20\n")
                .append("  ").append(PROGRAM).append(" find alice@example.org --json\n")
                .append("  OUTBOX_JMX_USER=ops OUTBOX_JMX_PASSWORD=... ").append(PROGRAM)
                .append(" --host mx1 freeze-queue relay.example.com:25\n");
        return text.toString();
    }

    private static void option(StringBuilder text, String option, String meaning) {
        text.append(String.format(Locale.ROOT, "  %-21s %s\n", option, meaning));
    }
}
