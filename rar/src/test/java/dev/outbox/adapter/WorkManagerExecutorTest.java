package dev.outbox.adapter;

import jakarta.resource.spi.work.ExecutionContext;
import jakarta.resource.spi.work.HintsContext;
import jakarta.resource.spi.work.Work;
import jakarta.resource.spi.work.WorkContext;
import jakarta.resource.spi.work.WorkContextProvider;
import jakarta.resource.spi.work.WorkException;
import jakarta.resource.spi.work.WorkListener;
import jakarta.resource.spi.work.WorkManager;
import jakarta.resource.spi.work.WorkRejectedException;
import org.junit.jupiter.api.Test;

import java.io.Serializable;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Proves what the adapter hands its WorkManager: connection work carries the long-running hint,
 * other work does not, each runs the task, and a refusal reaches the queue as
 * RejectedExecutionException.
 */
class WorkManagerExecutorTest {

    @Test
    void connectionWorkCarriesTheLongRunningHintAndRunsTheTask() throws Exception {
        Work work = scheduledAndRun(true);

        WorkContextProvider provider = assertInstanceOf(WorkContextProvider.class, work);
        List<WorkContext> contexts = provider.getWorkContexts();
        HintsContext hints = contexts.stream().filter(HintsContext.class::isInstance).map(HintsContext.class::cast)
                .findFirst().orElseThrow(() -> new AssertionError("no HintsContext in " + contexts));
        Serializable longRunning = hints.getHints().get(HintsContext.LONGRUNNING_HINT);
        assertEquals(Boolean.TRUE, longRunning, "hints: " + hints.getHints());
    }

    @Test
    void otherWorkCarriesNoLongRunningHint() throws Exception {
        Work work = scheduledAndRun(false);

        if (work instanceof WorkContextProvider provider && provider.getWorkContexts() != null) {
            for (WorkContext context : provider.getWorkContexts()) {
                if (context instanceof HintsContext hints) {
                    assertFalse(Boolean.TRUE.equals(hints.getHints().get(HintsContext.LONGRUNNING_HINT)), "hints: " + hints.getHints());
                }
            }
        }
    }

    @Test
    void refusedScheduleWorkSurfacesAsRejectedExecutionException() {
        WorkRejectedException refusal = new WorkRejectedException("long-running pool full", WorkException.START_TIMED_OUT);
        WorkManager refusing = new ThreadPerWork() {
            @Override
            public void scheduleWork(Work work) throws WorkException {
                throw refusal;
            }
        };

        RejectedExecutionException rejected = assertThrows(RejectedExecutionException.class,
                () -> new WorkManagerExecutor(refusing, true).execute(() -> { }));

        assertSame(refusal, rejected.getCause());
        assertTrue(rejected.getMessage().contains("long-running pool full"), rejected.getMessage());
    }

    /** Executes a task through a {@link WorkManagerExecutor} and returns the Work it scheduled, once the task has run. */
    private static Work scheduledAndRun(boolean longRunning) throws InterruptedException {
        ThreadPerWork workManager = new ThreadPerWork();
        CountDownLatch ran = new CountDownLatch(1);

        new WorkManagerExecutor(workManager, longRunning).execute(ran::countDown);

        Work work = workManager.scheduled.poll(10, TimeUnit.SECONDS);
        assertNotNull(work, "work was scheduled");
        assertTrue(ran.await(10, TimeUnit.SECONDS), "the task ran on the work manager's thread");
        return work;
    }

    /** The least WorkManager that runs work: each scheduled Work on a thread of its own, after recording it. */
    private static class ThreadPerWork implements WorkManager {
        final BlockingQueue<Work> scheduled = new LinkedBlockingQueue<>();

        @Override
        public void scheduleWork(Work work) throws WorkException {
            scheduled.add(work);
            Thread thread = new Thread(work, "test-work");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void scheduleWork(Work work, long startTimeout, ExecutionContext context, WorkListener listener) throws WorkException {
            scheduleWork(work);
        }

        @Override
        public void doWork(Work work) {
            throw new UnsupportedOperationException("the adapter schedules its work");
        }

        @Override
        public void doWork(Work work, long startTimeout, ExecutionContext context, WorkListener listener) {
            throw new UnsupportedOperationException("the adapter schedules its work");
        }

        @Override
        public long startWork(Work work) {
            throw new UnsupportedOperationException("the adapter schedules its work");
        }

        @Override
        public long startWork(Work work, long startTimeout, ExecutionContext context, WorkListener listener) {
            throw new UnsupportedOperationException("the adapter schedules its work");
        }
    }
}
