package dev.outbox.delivery;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A password held so that it cannot be printed by accident: {@link #toString()} is masked,
 * and only this package reads the clear text ({@link #reveal()}, for Angus's AUTH).
 *
 * <p>{@link #of} takes the clear text; {@link #scrub} removes it, and the base64 forms AUTH
 * sends it in, from text that came back from a server (a reply that echoes what it was sent).
 * Equality is identity: two secrets are never compared by content.
 *
 * <p>Immutable and thread-safe. Misuse: {@link #of} with null or empty text throws
 * {@link IllegalArgumentException} (which never shows the text).
 */
public final class Secret {

    static final String MASK = "****";
    /** A run of base64 characters long enough to carry a password. */
    private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]{4,}={0,2}");

    private final String value;

    private Secret(String value) {
        this.value = value;
    }

    public static Secret of(String clearText) {
        if (clearText == null || clearText.isEmpty()) {
            throw new IllegalArgumentException("a secret cannot be empty");
        }
        return new Secret(clearText);
    }

    /** The clear text, for the one call that sends it. */
    String reveal() {
        return value;
    }

    /**
     * {@code text} with every occurrence of this secret replaced by {@value #MASK}: as written,
     * base64-encoded (AUTH LOGIN), as the base64 of AUTH PLAIN's {@code \0username\0password},
     * and in any other base64 that decodes to text holding it (Angus's AUTH PLAIN sends
     * {@code username\0username\0password}).
     */
    String scrub(String text, String username) {
        if (text == null) {
            return null;
        }
        Base64.Encoder base64 = Base64.getEncoder();
        String plain = base64.encodeToString(("\0" + Objects.toString(username, "") + "\0" + value).getBytes(StandardCharsets.UTF_8));
        String login = base64.encodeToString(value.getBytes(StandardCharsets.UTF_8));
        String scrubbed = text.replace(plain, MASK).replace(login, MASK).replace(value, MASK);
        // Any other base64 that decodes to text holding it (AUTH PLAIN with an authorization id: user NUL user NUL password).
        Matcher tokens = BASE64.matcher(scrubbed);
        StringBuilder out = new StringBuilder(scrubbed.length());
        while (tokens.find()) {
            tokens.appendReplacement(out, Matcher.quoteReplacement(hidesValue(tokens.group()) ? MASK : tokens.group()));
        }
        return tokens.appendTail(out).toString();
    }

    /** True when {@code token}, read as base64 (its padding optional), decodes to text that holds the secret. */
    private boolean hidesValue(String token) {
        String bare = token.replace("=", "");
        if (bare.length() % 4 == 1) {
            return false;
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(bare + "==".substring(0, (4 - bare.length() % 4) % 4));
        } catch (IllegalArgumentException e) {
            return false;
        }
        return new String(bytes, StandardCharsets.UTF_8).contains(value) || new String(bytes, StandardCharsets.ISO_8859_1).contains(value);
    }

    @Override
    public String toString() {
        return MASK;
    }
}
