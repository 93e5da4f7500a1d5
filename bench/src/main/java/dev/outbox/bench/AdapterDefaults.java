package dev.outbox.bench;

import dev.outbox.delivery.SmtpSettings;
import dev.outbox.queue.QueuePolicy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Function;

/**
 * What an adapter deployed with nothing configured runs with: its SMTP settings (EHLO name,
 * timeouts, opportunistic TLS) and its queue policy (retry schedule, expiry, 4 connections per
 * destination, 100 messages per connection, the global cap, the attempt timeout), so that the
 * delivery lane measures the engine as it ships.
 *
 * <p>{@link #read} asks the adapter's own {@code AdapterSettings.of} with no properties and no
 * environment. That record is package-private in the rar (it is the adapter's, not an API), so
 * it is called reflectively rather than copying its defaults here, where they would drift.
 * Misuse and failures: an adapter whose settings no longer read so throws
 * {@link IllegalStateException} naming what was not found.
 *
 * @param smtp   the adapter's default SMTP settings
 * @param policy the adapter's default queue policy
 */
record AdapterDefaults(SmtpSettings smtp, QueuePolicy policy) {

    private static final String SETTINGS = "dev.outbox.adapter.AdapterSettings";

    /** The defaults, with {@code dataDirectory} standing for the server's data directory (nothing is written there). */
    static AdapterDefaults read(Path dataDirectory) {
        try {
            Class<?> type = Class.forName(SETTINGS);
            Method of = type.getDeclaredMethod("of", Map.class, Function.class, String.class);
            of.setAccessible(true);
            Function<String, String> noEnvironment = name -> null;
            Object settings = of.invoke(null, Map.of(), noEnvironment, dataDirectory.toString());
            return new AdapterDefaults((SmtpSettings) component(type, settings, "smtp"), (QueuePolicy) component(type, settings, "policy"));
        } catch (ReflectiveOperationException | ClassCastException e) {
            Throwable cause = e instanceof InvocationTargetException target ? target.getCause() : e;
            throw new IllegalStateException("cannot read the adapter's defaults through " + SETTINGS
                    + ".of(Map, Function, String) and its smtp() and policy(): " + cause, cause);
        }
    }

    private static Object component(Class<?> type, Object settings, String name) throws ReflectiveOperationException {
        Method accessor = type.getDeclaredMethod(name);
        accessor.setAccessible(true);
        return accessor.invoke(settings);
    }
}
