package dev.outbox.delivery;

/**
 * The caller's work to run while a transaction's first replies are on their way (see
 * {@code Deliverer.Connection#send(Envelope, byte[], Duration, Runnable)}): run at the first
 * {@link #run}, never again, even when it threw. Single thread.
 */
final class Once implements Runnable {

    private Runnable work;
    private boolean failed;

    Once(Runnable work) {
        this.work = work;
    }

    @Override
    public void run() {
        Runnable running = work;
        if (running == null) {
            return;
        }
        work = null;
        failed = true; // until it returns
        running.run();
        failed = false;
    }

    /** True when the work ran and threw. */
    boolean failed() {
        return failed;
    }
}
