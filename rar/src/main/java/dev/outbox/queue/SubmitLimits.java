package dev.outbox.queue;

/**
 * What one submit may carry, checked before anything is queued.
 *
 * @param maxMessageBytes size of the content after its line endings are made canonical
 * @param maxRecipients   recipients of one envelope, after duplicates are removed
 */
public record SubmitLimits(long maxMessageBytes, int maxRecipients) {

    public SubmitLimits {
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("maximum message size " + maxMessageBytes + " bytes is below 1024");
        }
        if (maxRecipients < 1) {
            throw new IllegalArgumentException("maximum recipients " + maxRecipients + " is below 1");
        }
    }
}
