package dev.outbox.adapter;

import dev.outbox.delivery.Secret;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.function.Function;

/**
 * Where the smarthost's password comes from, read once at start: the environment variable
 * {@value #VARIABLE}, or the file named by {@code outbox.smarthost-password-file}, which only its
 * owner may access on a POSIX file system. Never a system property: every JMX reader sees those
 * ({@code java.lang:type=Runtime}, attribute SystemProperties), and WildFly stores the clear
 * text there even when the property was set to an {@code ${ENC::...}} expression.
 *
 * <p>{@link #read} returns the password as a {@link Secret}, or null when none is given. Misuse:
 * the system property {@value #REFUSED_PROPERTY} set, both sources set, a file that group or
 * others may access, an empty or unreadable file: {@link IllegalArgumentException} naming the
 * setting, the file and its permissions, never the password.
 */
final class SmarthostPassword {

    /** Part of Outbox's public contract. */
    static final String VARIABLE = Setting.SMARTHOST_PASSWORD_VARIABLE.key();
    /** The system property that must stay unset. */
    static final String REFUSED_PROPERTY = "outbox.smarthost-password";
    static final String FILE_SETTING = Setting.SMARTHOST_PASSWORD_FILE.key();

    private SmarthostPassword() {
    }

    /**
     * @param file             the password file's path as configured, or null
     * @param environment      the process environment
     * @param systemProperties the JVM's system properties
     */
    static Secret read(String file, Function<String, String> environment, Function<String, String> systemProperties) {
        String property = systemProperties.apply(REFUSED_PROPERTY);
        if (property != null && !property.isEmpty()) {
            throw new IllegalArgumentException("the system property " + REFUSED_PROPERTY + " is set, and Outbox refuses a password"
                    + " there: every JMX reader sees system properties (java.lang:type=Runtime), and WildFly puts the clear text"
                    + " there even when the value is an ${ENC::...} expression. Remove it, and give the password in the environment"
                    + " variable " + VARIABLE + " or in a file named by " + FILE_SETTING + " (see README.md,"
                    + " \"Authenticating to a smarthost\")");
        }
        String variable = environment.apply(VARIABLE);
        boolean fromVariable = variable != null && !variable.isEmpty();
        if (fromVariable && file != null) {
            throw new IllegalArgumentException("both the environment variable " + VARIABLE + " and " + FILE_SETTING
                    + " give a smarthost password: keep one");
        }
        if (fromVariable) {
            return Secret.of(variable);
        }
        return file == null ? null : fromFile(Path.of(file));
    }

    /** The file's text (UTF-8) without its final line break. */
    static Secret fromFile(Path file) {
        try {
            PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
            if (posix != null) {
                Set<PosixFilePermission> permissions = posix.readAttributes().permissions();
                if (permissions.stream().anyMatch(p -> !p.name().startsWith("OWNER_"))) {
                    throw new IllegalArgumentException(FILE_SETTING + ": " + file + " has permissions "
                            + PosixFilePermissions.toString(permissions) + ", so users other than its owner may read or change it;"
                            + " only the owner may have access to a password file (chmod 600 " + file + ")");
                }
            }
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException(FILE_SETTING + ": " + file + " is not a regular file");
            }
            String text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file))).toString();
            String password = text.endsWith("\r\n") ? text.substring(0, text.length() - 2)
                    : text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
            if (password.isEmpty()) {
                throw new IllegalArgumentException(FILE_SETTING + ": " + file + " is empty");
            }
            return Secret.of(password);
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(FILE_SETTING + ": " + file + " is not UTF-8 text");
        } catch (IOException e) {
            // The message of an I/O error names the file, never its content.
            throw new IllegalArgumentException(FILE_SETTING + ": cannot read " + file + ": " + e, e);
        }
    }
}
