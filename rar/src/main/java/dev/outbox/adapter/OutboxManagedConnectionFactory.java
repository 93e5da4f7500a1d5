package dev.outbox.adapter;

import jakarta.resource.ResourceException;
import jakarta.resource.spi.ConnectionManager;
import jakarta.resource.spi.ConnectionRequestInfo;
import jakarta.resource.spi.ManagedConnection;
import jakarta.resource.spi.ManagedConnectionFactory;
import jakarta.resource.spi.ResourceAdapter;
import jakarta.resource.spi.ResourceAdapterAssociation;

import javax.security.auth.Subject;
import java.io.PrintWriter;
import java.util.Set;

/**
 * Makes the connection factory applications see and the managed connections the server pools.
 *
 * <p>Every managed connection of one factory is interchangeable: none holds a socket or a
 * credential (SMTP connections belong to delivery, not to callers), so matching takes any of
 * this factory's own. Threading: called by the server's pool from many threads; holds no
 * mutable state but the adapter association set once at deployment.
 */
public class OutboxManagedConnectionFactory implements ManagedConnectionFactory, ResourceAdapterAssociation {

    private static final long serialVersionUID = 1L;

    private transient OutboxResourceAdapter resourceAdapter;
    private transient PrintWriter logWriter;

    @Override
    public Object createConnectionFactory(ConnectionManager connectionManager) {
        return new ConnectionFactoryHandle(this, connectionManager);
    }

    @Override
    public Object createConnectionFactory() throws ResourceException {
        throw new jakarta.resource.NotSupportedException("Outbox runs only inside a Jakarta EE server (no unmanaged use)");
    }

    @Override
    public ManagedConnection createManagedConnection(Subject subject, ConnectionRequestInfo info) throws ResourceException {
        if (resourceAdapter == null) {
            throw new ResourceException("Outbox connection factory is not associated with its resource adapter");
        }
        return new OutboxManagedConnection(this);
    }

    @Override
    @SuppressWarnings("rawtypes") // the JCA interface declares a raw Set
    public ManagedConnection matchManagedConnections(Set connections, Subject subject, ConnectionRequestInfo info) {
        for (Object candidate : connections) {
            if (candidate instanceof OutboxManagedConnection connection && connection.factory() == this) {
                return connection;
            }
        }
        return null;
    }

    OutboxResourceAdapter resourceAdapter() {
        return resourceAdapter;
    }

    @Override
    public ResourceAdapter getResourceAdapter() {
        return resourceAdapter;
    }

    @Override
    public void setResourceAdapter(ResourceAdapter adapter) throws ResourceException {
        if (!(adapter instanceof OutboxResourceAdapter outbox)) {
            throw new ResourceException("Outbox connection factory needs the Outbox resource adapter, not " + adapter);
        }
        this.resourceAdapter = outbox;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        this.logWriter = out;
    }

    @Override
    public PrintWriter getLogWriter() {
        return logWriter;
    }

    // No configuration of its own: factories of the same adapter are equal.
    @Override
    public boolean equals(Object other) {
        return other instanceof OutboxManagedConnectionFactory that && that.resourceAdapter == resourceAdapter;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(resourceAdapter);
    }
}
