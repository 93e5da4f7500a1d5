package dev.outbox.cli;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One run of the queue command as its arguments and environment ask for it: the command, its
 * argument, the server to connect to, and the options. {@link #parse} is the only way to make
 * one; it checks everything that can be checked without the server.
 *
 * <p>The syntax: options ({@code --name VALUE} or {@code --name=VALUE}) anywhere, one command
 * word, then its argument; {@code --} ends the options (for an argument that starts with a dash).
 * An option given twice counts once, the last. Credentials come from {@code --user} and
 * {@code --password}, else from {@code OUTBOX_JMX_USER} and {@code OUTBOX_JMX_PASSWORD}; the
 * password may stay null with a user (then {@link QueueCommand} asks for it on the terminal).
 *
 * <p>Misuse: anything malformed throws a {@link CommandFailure} with {@link ExitCode#USAGE} whose
 * message names the argument. {@link #toString()} never shows the password.
 *
 * @param operand the command's argument: an id, a destination, the find text ("" for all), or null
 */
record Invocation(Command command, String operand, Server server, boolean json, int offset, int limit, boolean ndr,
                  boolean verbose) {

    static final String USER_VARIABLE = "OUTBOX_JMX_USER";
    static final String PASSWORD_VARIABLE = "OUTBOX_JMX_PASSWORD";

    private static final Set<String> VALUED = Set.of("host", "port", "user", "password", "jboss-home", "offset", "limit", "timeout");
    private static final Set<String> FLAGS = Set.of("json", "ndr", "verbose", "help");

    /**
     * Reads {@code args} and the variables in {@code environment}.
     *
     * @throws CommandFailure (USAGE) for an unknown command or option, a missing or extra argument,
     *                        a malformed number, or an option that does not apply to the command
     */
    static Invocation parse(List<String> args, Map<String, String> environment) {
        Map<String, String> options = new HashMap<>();
        List<String> words = new ArrayList<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (optionsEnded || arg.equals("-") || !arg.startsWith("-")) {
                words.add(arg);
            } else if (arg.equals("--")) {
                optionsEnded = true;
            } else if (arg.equals("-h")) {
                options.put("help", "");
            } else if (!arg.startsWith("--")) {
                throw CommandFailure.usage("unknown option " + arg + " (options are long, like --help; put -- before an argument that starts with -)");
            } else {
                int equals = arg.indexOf('=');
                String name = arg.substring(2, equals < 0 ? arg.length() : equals);
                if (FLAGS.contains(name)) {
                    if (equals >= 0) {
                        throw CommandFailure.usage("--" + name + " takes no value: " + arg);
                    }
                    options.put(name, "");
                } else if (VALUED.contains(name)) {
                    if (equals >= 0) {
                        options.put(name, arg.substring(equals + 1));
                    } else if (i + 1 < args.size()) {
                        options.put(name, args.get(++i));
                    } else {
                        throw CommandFailure.usage("--" + name + " needs a value");
                    }
                } else {
                    throw CommandFailure.usage("unknown option --" + name);
                }
            }
        }
        Server server = server(options, environment);
        boolean verbose = options.containsKey("verbose");
        if (options.containsKey("help")) {
            return new Invocation(Command.HELP, null, server, false, 0, Command.DEFAULT_LIMIT, false, verbose);
        }
        if (words.isEmpty()) {
            throw CommandFailure.usage("no command; commands: " + Command.words());
        }
        Command command = Command.named(words.get(0))
                .orElseThrow(() -> CommandFailure.usage("unknown command \"" + words.get(0) + "\"; commands: " + Command.words()));
        String operand = operand(command, words.subList(1, words.size()));
        if (!command.paged() && (options.containsKey("offset") || options.containsKey("limit"))) {
            throw CommandFailure.usage("--offset and --limit apply to list and find, not to " + command.word());
        }
        if (!command.deletes() && options.containsKey("ndr")) {
            throw CommandFailure.usage("--ndr applies to delete and delete-all, not to " + command.word());
        }
        int offset = number(options, "offset", 0, 0, Integer.MAX_VALUE);
        int limit = number(options, "limit", Command.DEFAULT_LIMIT, 1, Integer.MAX_VALUE);
        return new Invocation(command, operand, server, options.containsKey("json"), offset, limit, options.containsKey("ndr"), verbose);
    }

    private static String operand(Command command, List<String> rest) {
        switch (command.operand()) {
            case NONE:
                if (!rest.isEmpty()) {
                    throw CommandFailure.usage(command.word() + " takes no argument, got " + rest);
                }
                return null;
            case TEXT:
                if (rest.size() > 1) {
                    throw CommandFailure.usage(command.word() + " takes one TEXT (quote one with spaces), got " + rest);
                }
                return rest.isEmpty() ? "" : rest.get(0);
            default:
                String what = command.operand() == Command.Operand.ID ? "a message ID" : "a DESTINATION (host:port, as the queues command prints it)";
                if (rest.size() != 1) {
                    throw CommandFailure.usage(command.word() + " needs " + what + (rest.isEmpty() ? "" : ", one only; got " + rest));
                }
                if (rest.get(0).isBlank()) {
                    throw CommandFailure.usage(command.word() + " needs " + what + ", not an empty one");
                }
                return rest.get(0);
        }
    }

    private static Server server(Map<String, String> options, Map<String, String> environment) {
        String host = options.getOrDefault("host", Command.DEFAULT_HOST);
        if (host.isBlank()) {
            throw CommandFailure.usage("--host must not be empty");
        }
        int port = number(options, "port", Command.DEFAULT_PORT, 1, 65535);
        int timeout = number(options, "timeout", Command.DEFAULT_TIMEOUT_SECONDS, 1, 3600);
        String user = options.containsKey("user") ? options.get("user") : nonEmpty(environment.get(USER_VARIABLE));
        if (user != null && user.isEmpty()) {
            throw CommandFailure.usage("--user must not be empty");
        }
        String password = options.containsKey("password") ? options.get("password") : nonEmpty(environment.get(PASSWORD_VARIABLE));
        if (user == null && password != null) {
            throw CommandFailure.usage((options.containsKey("password") ? "--password" : PASSWORD_VARIABLE + " is set, but")
                    + " without a user: add --user USER or set " + USER_VARIABLE);
        }
        return new Server(host, port, user, password, timeout);
    }

    private static int number(Map<String, String> options, String name, int otherwise, int min, int max) {
        String text = options.get(name);
        if (text == null) {
            return otherwise;
        }
        int value;
        try {
            value = Integer.parseInt(text.strip());
        } catch (NumberFormatException e) {
            throw CommandFailure.usage("--" + name + " needs a whole number, not \"" + text + "\"");
        }
        if (value < min || value > max) {
            throw CommandFailure.usage("--" + name + " must be " + (max == Integer.MAX_VALUE ? "at least " + min : "from " + min + " to " + max)
                    + ", not " + value);
        }
        return value;
    }

    private static String nonEmpty(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    Invocation withServer(Server server) {
        return new Invocation(command, operand, server, json, offset, limit, ndr, verbose);
    }

    @Override
    public String toString() {
        return "Invocation[" + command.word() + (operand == null ? "" : " \"" + operand + "\"") + ", " + server + (json ? ", json" : "")
                + (command.paged() ? ", offset " + offset + ", limit " + limit : "") + (ndr ? ", ndr" : "") + "]";
    }
}
