package dev.outbox.queue;

import dev.outbox.api.Envelope;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * A fault at our own {@link Deliverer} seam: the first send over all its connections runs the
 * test's action instead of sending (it may block, throw or claim an outcome); every other call
 * goes to the real deliverer. Threading: as the real deliverer's; the action runs on the
 * delivery thread.
 */
final class FirstSendFault implements Deliverer {

    private final Deliverer real;
    private final Function<Envelope, List<RecipientOutcome>> action;
    private final AtomicBoolean first = new AtomicBoolean(true);

    FirstSendFault(Deliverer real, Function<Envelope, List<RecipientOutcome>> action) {
        this.real = real;
        this.action = action;
    }

    @Override
    public Connection connect(Destination destination, Duration budget, Abort abort) throws ConnectFailedException {
        Connection connection = real.connect(destination, budget, abort);
        return new Connection() {
            @Override
            public List<RecipientOutcome> send(Envelope envelope, byte[] content, Duration sendBudget) {
                return first.compareAndSet(true, false) ? action.apply(envelope) : connection.send(envelope, content, sendBudget);
            }

            @Override
            public boolean isBroken() {
                return connection.isBroken();
            }

            @Override
            public void abort() {
                connection.abort();
            }

            @Override
            public void close() {
                connection.close();
            }
        };
    }
}
