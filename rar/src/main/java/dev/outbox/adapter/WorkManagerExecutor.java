package dev.outbox.adapter;

import jakarta.resource.spi.work.Work;
import jakarta.resource.spi.work.WorkException;
import jakarta.resource.spi.work.WorkManager;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * The adapter's {@link WorkManager} as an {@link Executor}, so the queue runs its tasks on the
 * server's threads without knowing JCA. A refused task surfaces as
 * {@link RejectedExecutionException} with the work manager's reason.
 */
final class WorkManagerExecutor implements Executor {

    private final WorkManager workManager;

    WorkManagerExecutor(WorkManager workManager) {
        this.workManager = workManager;
    }

    @Override
    public void execute(Runnable task) {
        try {
            workManager.scheduleWork(new Work() {
                @Override
                public void run() {
                    task.run();
                }

                @Override
                public void release() {
                    // Tasks are short and check nothing to stop early.
                }
            });
        } catch (WorkException e) {
            throw new RejectedExecutionException(e.getMessage(), e);
        }
    }
}
