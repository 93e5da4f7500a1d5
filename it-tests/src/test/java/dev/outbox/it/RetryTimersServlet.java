package dev.outbox.it;

import dev.outbox.api.timers.RetryTimerHost;
import dev.outbox.api.timers.RetryTimers;
import jakarta.annotation.Resource;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import javax.naming.InitialContext;
import javax.naming.NamingException;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Deployed in the test application: {@code GET /retry-timers} reports the adapter's view of its
 * clock; {@code GET /retry-timers?pending=D} how many wake-ups the EJB timer service holds for
 * destination D; {@code POST /retry-timers?destination=D&threads=N&inSeconds=S} asks the EJB
 * retry clock for N wake-ups of D at once, from N threads, S seconds ahead.
 */
@WebServlet("/retry-timers")
public class RetryTimersServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;
    private static final String RETRY_CLOCK = "java:global/outbox/outbox-ejb/RetryClock!" + RetryTimers.class.getName();

    @Resource(lookup = RetryTimerHost.JNDI_NAME)
    private RetryTimerHost retryTimers;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain");
        String destination = request.getParameter("pending");
        if (destination != null) {
            response.getWriter().write("pending=" + clock().pending(destination) + "\n");
            return;
        }
        response.getWriter().write("attached=" + retryTimers.isAttached() + "\nverified=" + retryTimers.isRoundTripVerified() + "\n");
    }

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String destination = request.getParameter("destination");
        int threads = Integer.parseInt(request.getParameter("threads"));
        Instant due = Instant.now().plus(Duration.ofSeconds(Long.parseLong(request.getParameter("inSeconds"))));
        RetryTimers clock = clock();
        CountDownLatch start = new CountDownLatch(1);
        List<Throwable> failures = new ArrayList<>();
        List<Thread> callers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Thread caller = new Thread(() -> {
                try {
                    start.await();
                    clock.schedule(destination, due);
                } catch (Throwable t) {
                    synchronized (failures) {
                        failures.add(t);
                    }
                }
            });
            caller.start();
            callers.add(caller);
        }
        start.countDown();
        for (Thread caller : callers) {
            try {
                caller.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        response.setContentType("text/plain");
        response.getWriter().write("failures=" + failures + "\n");
    }

    private static RetryTimers clock() {
        try {
            return (RetryTimers) new InitialContext().lookup(RETRY_CLOCK);
        } catch (NamingException e) {
            throw new IllegalStateException("cannot find the retry clock at " + RETRY_CLOCK, e);
        }
    }
}
