package dev.outbox.cli;

import java.io.Console;
import java.io.PrintStream;
import java.time.Clock;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.Logger;

/**
 * Outbox's queue command ({@code bin/outbox-queue}): lists, shows and manages the queues of a
 * running WildFly's Outbox over remote JMX, like mailq, postqueue and postsuper. {@code --help}
 * (from {@link Command#help()}) lists the commands and options.
 *
 * <p>One run: {@link Invocation#parse} the arguments, ask for a missing password on the terminal,
 * {@link RemoteOutbox#connect}, do the one command, print its answer on standard output (a
 * {@link TextReport} or, with {@code --json}, a {@link JsonReport}) and exit 0; or print one line
 * {@code outbox-queue: why} on standard error and exit with the failure's {@link ExitCode}. Nothing
 * is printed before the answer is complete, so a failed run prints no partial table.
 *
 * <p>The JMX client (WildFly's jboss-client.jar) logs to the console on its own; unless
 * {@code --verbose}, its logging is switched off before it loads. Never prints the password.
 */
public final class QueueCommand {

    private QueueCommand() {
    }

    public static void main(String[] args) {
        List<String> arguments = Arrays.asList(args);
        if (!arguments.contains("--verbose")) {
            quietClient();
        }
        int status = run(arguments, System.getenv(), System.out, System.err, QueueCommand::askPassword);
        System.out.flush();
        System.exit(status); // the remoting client's threads would keep the JVM alive
    }

    /**
     * Runs the command {@code args} ask for with the variables of {@code environment}; returns the
     * exit status. {@code askPassword} is given the user and returns its password, or throws a
     * CommandFailure when there is nobody to ask.
     */
    static int run(List<String> args, Map<String, String> environment, PrintStream out, PrintStream err,
                   Function<Server, String> askPassword) {
        boolean verbose = args.contains("--verbose");
        Invocation invocation;
        try {
            invocation = Invocation.parse(args, environment);
        } catch (CommandFailure usage) {
            err.println(Command.PROGRAM + ": " + usage.getMessage());
            err.println("Try '" + Command.PROGRAM + " --help'.");
            return usage.code().code();
        }
        try {
            if (invocation.command() == Command.HELP) {
                out.print(Command.help());
                return ExitCode.OK.code();
            }
            Server server = invocation.server();
            if (server.user() != null && server.password() == null) {
                invocation = invocation.withServer(server.withPassword(askPassword.apply(server)));
            }
            Report report = invocation.json() ? new JsonReport() : new TextReport(Clock.systemUTC());
            String answer;
            try (RemoteOutbox outbox = RemoteOutbox.connect(invocation.server())) {
                answer = execute(invocation, outbox, report);
            }
            out.print(answer);
            return ExitCode.OK.code();
        } catch (CommandFailure failure) {
            err.println(Command.PROGRAM + ": " + failure.getMessage());
            if (verbose && failure.getCause() != null) {
                failure.getCause().printStackTrace(err);
            }
            return failure.code().code();
        }
    }

    /** Does the invocation's command on {@code outbox} and formats the answer. */
    static String execute(Invocation invocation, RemoteOutbox outbox, Report report) {
        Command command = invocation.command();
        String operand = invocation.operand();
        return switch (command) {
            case QUEUES -> report.queues(outbox.queues());
            case LIST -> {
                QueueSummary queue = outbox.queue(operand);
                yield report.messages(queue, invocation.offset(), invocation.limit(),
                        outbox.listMessages(operand, invocation.offset(), invocation.limit()));
            }
            case FIND -> report.found(operand, invocation.offset(), invocation.limit(),
                    outbox.findMessages(operand, invocation.offset(), invocation.limit()));
            case SHOW -> report.message(outbox.message(operand));
            case STATUS -> report.status(outbox.status());
            case FREEZE -> report.outcome(Outcome.recipients(command, operand, outbox.onMessage("freezeMessage", operand)));
            case UNFREEZE -> report.outcome(Outcome.recipients(command, operand, outbox.onMessage("unfreezeMessage", operand)));
            case RETRY -> report.outcome(Outcome.recipients(command, operand, outbox.onMessage("resubmitMessage", operand)));
            case DELETE -> report.outcome(Outcome.recipients(command, operand, outbox.deleteMessage(operand, invocation.ndr())));
            case FREEZE_QUEUE, UNFREEZE_QUEUE -> {
                outbox.onQueue(command == Command.FREEZE_QUEUE ? "freeze" : "unfreeze", operand);
                yield report.outcome(Outcome.queueState(command, operand, outbox.queue(operand).state()));
            }
            case RETRY_QUEUE -> {
                int due = (Integer) outbox.onQueue("retryNow", operand);
                yield report.outcome(new Outcome(command, operand, due, outbox.queue(operand).state(), null));
            }
            case DELETE_ALL -> report.outcome(Outcome.recipients(command, operand, outbox.deleteAll(operand, invocation.ndr())));
            case PAUSE, RESUME -> {
                outbox.onManager(command == Command.PAUSE ? "pause" : "resume");
                yield report.outcome(Outcome.paused(command, outbox.status().paused()));
            }
            case RETRY_ALL -> report.outcome(Outcome.recipients(command, null, (Integer) outbox.onManager("retryAll")));
            case HELP -> Command.help();
        };
    }

    private static String askPassword(Server server) {
        Console console = System.console();
        if (console == null) {
            throw CommandFailure.usage("no password for user \"" + server.user() + "\": set " + Invocation.PASSWORD_VARIABLE
                    + " or pass --password (there is no terminal to ask on)");
        }
        char[] password = console.readPassword("Password of %s at %s: ", server.user(), server.url());
        if (password == null) {
            throw CommandFailure.usage("no password for user \"" + server.user() + "\"");
        }
        return new String(password);
    }

    /** Silences the JMX client's console logging (jboss-logging over java.util.logging, SLF4J's own notices). */
    private static void quietClient() {
        System.setProperty("org.jboss.logging.provider", "jdk");
        System.setProperty("slf4j.internal.verbosity", "ERROR");
        LogManager.getLogManager().reset();
        Logger.getLogger("").setLevel(Level.OFF);
    }
}
