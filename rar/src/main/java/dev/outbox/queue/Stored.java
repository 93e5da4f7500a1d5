package dev.outbox.queue;

import dev.outbox.store.StoreEntry;
import dev.outbox.store.StoredMessage;

/**
 * A message its store holds (added, or recovered) and the entry the store handed out for it,
 * before the queue takes it in: a notice on its way out, say. The queue's message takes the entry
 * over when it is admitted.
 */
record Stored(StoredMessage message, StoreEntry entry) {

    String id() {
        return message.id();
    }
}
