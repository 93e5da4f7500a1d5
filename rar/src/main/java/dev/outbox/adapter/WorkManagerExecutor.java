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
            workManager.scheduleWork(new OutboxWork(task, longRunning));
        } catch (WorkException e) {
            throw new RejectedExecutionException(e.getMessage(), e);
        }
    }

    /**
     * One task as JCA work; a long-running one carries the hint. The queue bounds its tasks itself
     * (timeouts, deadlines, and its stop() aborts them before the adapter lets go of the work
     * manager), so release() has nothing to add.
     */
    private static final class OutboxWork implements Work, WorkContextProvider {
        private static final long serialVersionUID = 1L;

        private final transient Runnable task;
        private final boolean longRunning;

        OutboxWork(Runnable task, boolean longRunning) {
            this.task = task;
            this.longRunning = longRunning;
        }

        @Override
        public void run() {
            task.run();
        }

        @Override
        public void release() {
            // see the class comment
        }

        @Override
        public List<WorkContext> getWorkContexts() {
            if (!longRunning) {
                return List.of();
            }
            HintsContext hints = new HintsContext();
            hints.setName("Outbox SMTP connection");
            hints.setHint(HintsContext.LONGRUNNING_HINT, Boolean.TRUE);
            return List.of(hints);
        }
    }
}
