package dev.outbox.adapter;

import dev.outbox.api.OutboxConnection;
import dev.outbox.api.OutboxConnectionFactory;
import dev.outbox.api.OutboxException;
import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;

import javax.naming.Reference;

/**
 * The {@link OutboxConnectionFactory} bound at {@code java:/eis/Outbox}: asks the server's
 * connection manager for a pooled connection and returns its handle.
 */
final class ConnectionFactoryHandle implements OutboxConnectionFactory {

    private static final long serialVersionUID = 1L;

    private final OutboxManagedConnectionFactory factory;
    private final transient ConnectionManager connectionManager;
    private Reference reference;

    ConnectionFactoryHandle(OutboxManagedConnectionFactory factory, ConnectionManager connectionManager) {
        this.factory = factory;
        this.connectionManager = connectionManager;
    }

    @Override
    public OutboxConnection getConnection() throws OutboxException {
        try {
            return (OutboxConnection) connectionManager.allocateConnection(factory, null);
        } catch (ResourceException e) {
            throw new OutboxException("no Outbox connection could be had: " + e.getMessage(), e);
        }
    }

    @Override
    public void setReference(Reference reference) {
        this.reference = reference;
    }

    @Override
    public Reference getReference() {
        return reference;
    }
}
