/**
 * The link between the resource adapter and Outbox's EJB module, which owns the retry clock.
 * Internal to Outbox: applications never use these types.
 */
package dev.outbox.api.timers;
