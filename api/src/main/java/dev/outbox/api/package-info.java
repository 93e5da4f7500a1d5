/**
 * What applications compile against: {@link dev.outbox.api.OutboxConnectionFactory} (bound at
 * {@code java:/eis/Outbox}), {@link dev.outbox.api.OutboxConnection}, the
 * {@link dev.outbox.api.Envelope} and the checked exceptions. Interfaces and values only: no
 * engine type ever appears here, so the engine can change without recompiling applications.
 */
package dev.outbox.api;
