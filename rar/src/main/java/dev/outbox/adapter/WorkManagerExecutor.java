package dev.outbox.adapter;

import jakarta.resource.spi.work.HintsContext;
import jakarta.resource.spi.work.Work;
import jakarta.resource.spi.work.WorkContext;
import jakarta.resource.spi.work.WorkContextProvider;
import jakarta.resource.spi.work.WorkException;
import jakarta.resource.spi.work.WorkManager;

import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The adapter's {@link WorkManager} as an {@link Executor}, so the queue runs its tasks on the
 * server's threads without knowing JCA. A refused task surfaces as
 * {@link RejectedExecutionException} with the work manager's reason.
 *
 * <p>With {@code longRunning}, each task carries a {@link HintsContext} with
 * {@link HintsContext#LONGRUNNING_HINT}, so IronJacamar runs it on the work manager's
 * long-running pool: an SMTP connection that waits on a slow peer then holds none of the
 * short-running threads other adapters and Outbox's own short tasks use.
 */
final class WorkManagerExecutor implements Executor {

    private final WorkManager workManager;
    private final boolean longRunning;

    WorkManagerExecutor(WorkManager workManager, boolean longRunning) {
        this.workManager = workManager;
        this.longRunning = longRunning;
    }

    @Override
    public void execute(Runnable task) {
        try {
            workManager.scheduleWork(longRunning ? new LongRunningWork(task) : new ShortWork(task));
        } catch (WorkException e) {
            throw new RejectedExecutionException(e.getMessage(), e);
        }
    }

    /** A task the queue bounds itself (timeouts, deadlines, stop aborts it): release() has nothing to add. */
    private static class ShortWork implements Work {
        private final Runnable task;

        ShortWork(Runnable task) {
            this.task = task;
        }

        @Override
        public void run() {
            task.run();
        }

        @Override
        public void release() {
            // The queue's stop() aborts its connections before the adapter lets go of the work manager.
        }
    }

    private static final class LongRunningWork extends ShortWork implements WorkContextProvider {
        private static final long serialVersionUID = 1L;

        LongRunningWork(Runnable task) {
            super(task);
        }

        @Override
        public List<WorkContext> getWorkContexts() {
            HintsContext hints = new HintsContext();
            hints.setName("Outbox SMTP connection");
            hints.setHint(HintsContext.LONGRUNNING_HINT, Boolean.TRUE);
            return List.of(hints);
        }
    }
}
