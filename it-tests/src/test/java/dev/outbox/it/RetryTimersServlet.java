package dev.outbox.it;

import dev.outbox.api.timers.RetryTimerHost;
import jakarta.annotation.Resource;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;

/** Deployed in the test application: {@code GET /retry-timers} reports the adapter's view of its clock. */
@WebServlet("/retry-timers")
public class RetryTimersServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Resource(lookup = RetryTimerHost.JNDI_NAME)
    private RetryTimerHost retryTimers;

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setContentType("text/plain");
        response.getWriter().write("attached=" + retryTimers.isAttached() + "\nverified=" + retryTimers.isRoundTripVerified() + "\n");
    }
}
