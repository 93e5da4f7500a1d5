package dev.outbox.api.old;

/**
 * The RFC 5321 mailbox grammar, as much of it as an envelope needs: {@code local-part@domain}
 * where the local part is a dot-string or a quoted string and the domain is a host name or an
 * address literal; at most 64 octets of local part, 255 of domain and 254 in all (a path is
 * at most 256 octets with its angle brackets).
 *
 * <p>Only ASCII is accepted: internationalized addresses need SMTPUTF8, which Outbox does not
 * offer yet, and saying so is better than mangling them.
 */
final class OldMailboxSyntax {

    static final int MAX_LOCAL_PART = 64;
    static final int MAX_DOMAIN = 255;
    static final int MAX_MAILBOX = 254;

    private static final String ATEXT_SPECIALS = "!#$%&'*+-/=?^_`{|}~";

    private OldMailboxSyntax() {
    }

    /** Throws {@link IllegalArgumentException} naming {@code role} and the defect. */
    static void check(String mailbox, String role) {
        if (mailbox == null) {
            throw new IllegalArgumentException(role + " is null");
        }
        for (int i = 0; i < mailbox.length(); i++) {
            char c = mailbox.charAt(i);
            String bad = switch (c) {
                case '\r' -> "CR";
                case '\n' -> "LF";
                case '\0' -> "NUL";
                default -> c < 0x20 || c == 0x7f ? String.format("control character U+%04X", (int) c)
                        : c > 0x7f ? "a non-ASCII character (SMTPUTF8 is not supported)" : null;
            };
            if (bad != null) {
                throw invalid(role, mailbox, "contains " + bad + " at index " + i);
            }
        }
        if (mailbox.length() > MAX_MAILBOX) {
            throw invalid(role, mailbox, "is " + mailbox.length() + " octets long, over the RFC 5321 limit of " + MAX_MAILBOX);
        }
        int at = mailbox.lastIndexOf('@');
        if (at <= 0 || at == mailbox.length() - 1) {
            throw invalid(role, mailbox, "is not of the form local-part@domain");
        }
        String local = mailbox.substring(0, at);
        String domain = mailbox.substring(at + 1);
        if (local.length() > MAX_LOCAL_PART) {
            throw invalid(role, mailbox, "has a local part of " + local.length() + " octets, over the RFC 5321 limit of " + MAX_LOCAL_PART);
        }
        String localDefect = local.startsWith("\"") ? quotedStringDefect(local) : dotStringDefect(local);
        if (localDefect != null) {
            throw invalid(role, mailbox, "has a bad local part: " + localDefect);
        }
        String domainDefect = domain.startsWith("[") ? addressLiteralDefect(domain) : domainDefect(domain);
        if (domainDefect != null) {
            throw invalid(role, mailbox, "has a bad domain: " + domainDefect);
        }
    }

    private static String dotStringDefect(String local) {
        if (local.startsWith(".") || local.endsWith(".") || local.contains("..")) {
            return "a dot at the start, at the end or twice in a row (quote it to allow that)";
        }
        for (int i = 0; i < local.length(); i++) {
            char c = local.charAt(i);
            if (!(isAlphaDigit(c) || c == '.' || ATEXT_SPECIALS.indexOf(c) >= 0)) {
                return "'" + c + "' is not allowed unquoted";
            }
        }
        return null;
    }

    private static String quotedStringDefect(String local) {
        if (local.length() < 2 || !local.endsWith("\"")) {
            return "an unterminated quoted string";
        }
        for (int i = 1; i < local.length() - 1; i++) {
            char c = local.charAt(i);
            if (c == '\\') {
                i++;
                if (i >= local.length() - 1) {
                    return "a backslash with nothing to quote";
                }
            } else if (c == '"') {
                return "an unescaped quote inside the quoted string";
            }
        }
        return null;
    }

    private static String domainDefect(String domain) {
        if (domain.length() > MAX_DOMAIN) {
            return domain.length() + " octets, over the RFC 5321 limit of " + MAX_DOMAIN;
        }
        // Label by label, without splitting: recovery checks every queued address again (a million at a restart).
        for (int start = 0; start <= domain.length(); ) {
            int end = domain.indexOf('.', start);
            if (end < 0) {
                end = domain.length();
            }
            int length = end - start;
            if (length == 0 || length > 63) {
                return "a label must have 1 to 63 characters";
            }
            if (domain.charAt(start) == '-' || domain.charAt(end - 1) == '-') {
                return "a label may not start or end with '-'";
            }
            for (int i = start; i < end; i++) {
                char c = domain.charAt(i);
                if (!isAlphaDigit(c) && c != '-') {
                    return "'" + c + "' is not allowed in a host name";
                }
            }
            start = end + 1;
        }
        return null;
    }

    private static String addressLiteralDefect(String domain) {
        if (!domain.endsWith("]")) {
            return "an unterminated address literal";
        }
        String inner = domain.substring(1, domain.length() - 1);
        String address = inner.regionMatches(true, 0, "IPv6:", 0, 5) ? inner.substring(5) : inner;
        boolean ipv6 = address != inner;
        for (int i = 0; i < address.length(); i++) {
            char c = address.charAt(i);
            boolean ok = ipv6 ? Character.digit(c, 16) >= 0 || c == ':' || c == '.' : Character.isDigit(c) || c == '.';
            if (!ok) {
                return "'" + c + "' is not allowed in an " + (ipv6 ? "IPv6" : "IPv4") + " address literal";
            }
        }
        if (address.isEmpty()) {
            return "an empty address literal";
        }
        return null;
    }

    private static boolean isAlphaDigit(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    }

    private static IllegalArgumentException invalid(String role, String mailbox, String defect) {
        return new IllegalArgumentException(role + " " + printable(mailbox) + " " + defect);
    }

    /** Quotes the address with control characters escaped, so the message itself is safe to log. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        int shown = Math.min(text.length(), 300);
        for (int i = 0; i < shown; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '\0' -> out.append("\\0");
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                default -> {
                    if (Character.isISOControl(c)) { // C0, DEL and C1, whose NEL (U+0085) breaks lines too
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        if (shown < text.length()) {
            out.append("...");
        }
        return out.append('"').toString();
    }
}
