package dev.outbox.store;

/** A new status for recipient number {@code recipient} (0-based, envelope order) of a message. */
public record RecipientChange(int recipient, RecipientStatus status) {
}
