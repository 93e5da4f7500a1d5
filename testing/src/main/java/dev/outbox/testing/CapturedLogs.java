package dev.outbox.testing;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Every java.util.logging record published while it is open, at every level, for tests that
 * prove what code logs or never logs (a password): {@link #capture} attaches a handler to the
 * root logger and opens the named loggers to {@link Level#ALL}; {@link #close} restores their
 * levels and removes the handler.
 *
 * <p>{@link #records()} are the records so far; {@link #text()} is each formatted as a server's
 * log would print it, parameters filled in and the stack trace of its exception included, so a
 * search of it is a search of everything a log file would hold.
 *
 * <p>Thread-safe: records come from any thread. Misuse: none; records published by loggers
 * that do not pass them to the root logger are not seen.
 */
public final class CapturedLogs extends Handler implements AutoCloseable {

    private static final Logger ROOT = Logger.getLogger("");

    private final List<LogRecord> records = new ArrayList<>();
    /** The loggers opened, held so they are not collected, with the level each had. */
    private final Map<Logger, Level> opened = new LinkedHashMap<>();
    private final SimpleFormatter formatter = new SimpleFormatter();

    private CapturedLogs() {
        setLevel(Level.ALL);
    }

    /** Captures every record, with the loggers {@code names} (and those below them) opened to every level. */
    public static CapturedLogs capture(String... names) {
        CapturedLogs logs = new CapturedLogs();
        for (String name : names) {
            Logger logger = Logger.getLogger(name);
            logs.opened.put(logger, logger.getLevel());
            logger.setLevel(Level.ALL);
        }
        ROOT.addHandler(logs);
        return logs;
    }

    public synchronized List<LogRecord> records() {
        return List.copyOf(records);
    }

    /** Every record as a log file would show it, exceptions and their causes included. */
    public String text() {
        StringBuilder text = new StringBuilder();
        for (LogRecord record : records()) {
            text.append(formatter.format(record));
            if (record.getThrown() != null) {
                StringWriter trace = new StringWriter();
                record.getThrown().printStackTrace(new PrintWriter(trace));
                text.append(trace);
            }
        }
        return text.toString();
    }

    @Override
    public synchronized void publish(LogRecord record) {
        records.add(record);
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
        ROOT.removeHandler(this);
        opened.forEach(Logger::setLevel);
    }
}
