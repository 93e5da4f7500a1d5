package dev.outbox.adapter;

import dev.outbox.api.Envelope;
import dev.outbox.api.MessageRejectedException;
import dev.outbox.api.OutboxConnection;
import dev.outbox.api.OutboxException;
import dev.outbox.queue.Submission;
import jakarta.mail.internet.MimeMessage;

import java.io.ByteArrayInputStream;
import java.io.InputStream;

/**
 * The {@link OutboxConnection} an application holds: checks on every call that it is still
 * valid, turns the call into a {@link Submission} and gives it to the engine.
 *
 * <p>Misuse: any call after {@link #close()}, or after the server cleaned up its managed
 * connection, throws {@link IllegalStateException} saying which.
 */
final class ConnectionHandle implements OutboxConnection {

    private volatile OutboxManagedConnection managedConnection;
    private volatile String invalidBecause;

    ConnectionHandle(OutboxManagedConnection managedConnection) {
        this.managedConnection = managedConnection;
    }

    @Override
    public String submit(MimeMessage message) throws OutboxException {
        OutboxResourceAdapter.Engine engine = engine();
        return engine.queue().submit(Submission.of(message, engine.limits(), engine.messageIdDomain()));
    }

    @Override
    public String submit(byte[] content, Envelope envelope) throws OutboxException {
        if (content == null) {
            throw new MessageRejectedException("message content is null");
        }
        return submit(new ByteArrayInputStream(content), envelope);
    }

    @Override
    public String submit(InputStream content, Envelope envelope) throws OutboxException {
        OutboxResourceAdapter.Engine engine = engine();
        return engine.queue().submit(Submission.of(content, envelope, engine.limits(), engine.messageIdDomain()));
    }

    @Override
    public void close() {
        if (invalidBecause == null) {
            invalidBecause = "it was closed";
            managedConnection.handleClosed(this);
        }
    }

    private OutboxResourceAdapter.Engine engine() throws OutboxException {
        String reason = invalidBecause;
        if (reason != null) {
            throw new IllegalStateException("this Outbox connection can no longer be used: " + reason);
        }
        return managedConnection.factory().resourceAdapter().engine();
    }

    OutboxManagedConnection managedConnection() {
        return managedConnection;
    }

    void associate(OutboxManagedConnection connection) {
        this.managedConnection = connection;
    }

    void invalidate() {
        if (invalidBecause == null) {
            invalidBecause = "the server reclaimed its managed connection";
        }
    }
}
