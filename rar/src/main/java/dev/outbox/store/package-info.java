/**
 * The storage SPI: {@link dev.outbox.store.MessageStore}, the one interface through which the
 * queue engine keeps messages, and the values it stores. Every store promises the same thing,
 * on return: the change is on stable storage. Implementations live in sub-packages; the
 * embedded default is {@link dev.outbox.store.journal.JournalStore}.
 */
package dev.outbox.store;
