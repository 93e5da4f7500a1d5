package dev.outbox.store;

import dev.outbox.api.RecipientState;

import java.util.Objects;

/**
 * What the store keeps of one recipient: its state, when it is due again (for a deferred
 * recipient; 0 otherwise), how many attempts it has had, and what a delivery status
 * notification (DSN) about it needs: the last reply and the host that gave it, when it was last
 * tried, and whether a DSN is owed for it and not yet durably queued.
 *
 * <p>The three-argument constructor gives the DSN fields their defaults (no reply, no host, never
 * tried, no notice owed); {@link #withReply}, {@link #withLastAttempt} and {@link #withNoticePending}
 * give a copy with one of them changed.
 *
 * <p>Misuse, each an {@link IllegalArgumentException} naming the value: {@link RecipientState#IN_FLIGHT}
 * (never stored), a reply code other than 0 or 100 to 599, a reply text or host that is null, holds
 * a line break, or is longer than {@link #MAX_TEXT_CHARS}, a negative attempt time. {@link #withReply}
 * makes any reply text fit first, so a caller need not.
 *
 * @param state             where the recipient stands
 * @param dueMillis         when a deferred recipient is due again; 0 otherwise
 * @param attempts          delivery attempts so far
 * @param replyCode         the SMTP code of the last reply, 0 when none
 * @param replyText         the last reply on one line (as the server gave it, its code in front); empty when none
 * @param remoteHost        the host that gave the last reply; empty when none
 * @param lastAttemptMillis when it was last tried; 0 when never
 * @param noticePending     a DSN is owed for this recipient and not yet durably queued
 */
public record RecipientStatus(RecipientState state, long dueMillis, int attempts,
                              int replyCode, String replyText, String remoteHost, long lastAttemptMillis, boolean noticePending) {

    /** The longest reply text or host kept, in chars (at most three times as many bytes in UTF-8). */
    public static final int MAX_TEXT_CHARS = 1000;

    public static final RecipientStatus QUEUED = new RecipientStatus(RecipientState.QUEUED, 0, 0);

    public RecipientStatus {
        if (state == RecipientState.IN_FLIGHT) {
            throw new IllegalArgumentException("IN_FLIGHT is never stored: after a crash an attempt in flight is simply due again");
        }
        if (replyCode != 0 && (replyCode < 100 || replyCode > 599)) {
            throw new IllegalArgumentException("reply code " + replyCode + " is not an SMTP reply code (100 to 599, or 0 for none)");
        }
        checkLine("reply text", replyText);
        checkLine("remote host", remoteHost);
        if (lastAttemptMillis < 0) {
            throw new IllegalArgumentException("last attempt at " + lastAttemptMillis + " ms: give 0 for never");
        }
    }

    /** A status with no reply, no host, no attempt time and no notice owed. */
    public RecipientStatus(RecipientState state, long dueMillis, int attempts) {
        this(state, dueMillis, attempts, 0, "", "", 0, false);
    }

    /**
     * This status with the last reply {@code code} and {@code text} from {@code host}; line breaks
     * in the text become spaces and a text longer than {@link #MAX_TEXT_CHARS} is cut there.
     */
    public RecipientStatus withReply(int code, String text, String host) {
        return new RecipientStatus(state, dueMillis, attempts, code, oneLine(Objects.requireNonNull(text, "reply text")), host,
                lastAttemptMillis, noticePending);
    }

    /** This status last tried at {@code millis}. */
    public RecipientStatus withLastAttempt(long millis) {
        return new RecipientStatus(state, dueMillis, attempts, replyCode, replyText, remoteHost, millis, noticePending);
    }

    /** This status with a DSN owed ({@code true}) or no longer owed, because it is durably queued ({@code false}). */
    public RecipientStatus withNoticePending(boolean pending) {
        return new RecipientStatus(state, dueMillis, attempts, replyCode, replyText, remoteHost, lastAttemptMillis, pending);
    }

    private static String oneLine(String text) {
        String line = text.replace("\r\n", " ").replace('\r', ' ').replace('\n', ' ');
        if (line.length() <= MAX_TEXT_CHARS) {
            return line;
        }
        int end = Character.isHighSurrogate(line.charAt(MAX_TEXT_CHARS - 1)) ? MAX_TEXT_CHARS - 1 : MAX_TEXT_CHARS;
        return line.substring(0, end);
    }

    private static void checkLine(String what, String value) {
        if (value == null) {
            throw new IllegalArgumentException(what + " is null: give \"\" for none");
        }
        if (value.length() > MAX_TEXT_CHARS) {
            throw new IllegalArgumentException(what + " of " + value.length() + " chars is longer than " + MAX_TEXT_CHARS);
        }
        if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
            throw new IllegalArgumentException(what + " \"" + value + "\" holds a line break: it is kept on one line");
        }
    }
}
