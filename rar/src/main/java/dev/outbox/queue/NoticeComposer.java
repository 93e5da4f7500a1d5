package dev.outbox.queue;

/**
 * Writes a {@link Notice} as the message that is sent: implemented in {@code dev.outbox.dsn} as
 * an RFC 3464 delivery status notification. Called on delivery and sweep threads, with the
 * original message's lock held: it must not block on anything but the CPU.
 */
public interface NoticeComposer {

    /**
     * The notice's content, ready to send with an empty MAIL FROM (CRLF line ends).
     *
     * @param original the original message's content as stored (the notice returns its header, or all of it)
     * @throws RuntimeException when it cannot be written; the queue logs it and tries again at the next sweep
     */
    byte[] compose(Notice notice, byte[] original);
}
