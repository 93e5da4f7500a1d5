package dev.outbox.bench.web;

import dev.outbox.api.Envelope;
import dev.outbox.api.OutboxConnection;
import dev.outbox.api.OutboxConnectionFactory;
import jakarta.annotation.Resource;
import jakarta.enterprise.concurrent.ManagedThreadFactory;
import jakarta.servlet.annotation.WebServlet;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

/**
 * The submit lane's servlet, deployed in a WAR of its own beside {@code outbox.ear}
 * ({@code dev.outbox.bench.SubmitLane} builds that WAR from these classes): a POST whose body is
 * the content of a message runs {@code threads} threads, each submitting that content to one
 * recipient of its own through {@code java:/eis/Outbox} in a loop (a connection from the factory,
 * submit, close, as an application does), for {@code warmup} seconds untimed and then
 * {@code seconds} counted, and answers {@code count nanos} as text. Failures: the first exception
 * of any thread ends the run with status 500 and that exception.
 */
@WebServlet("/submit")
public class SubmitServlet extends HttpServlet {

    private static final long serialVersionUID = 1L;

    @Resource(lookup = "java:/eis/Outbox")
    private transient OutboxConnectionFactory outbox;

    @Resource
    private transient ManagedThreadFactory threads;

    @Override
    protected void doPost(HttpServletRequest request, HttpServletResponse response) throws IOException {
        int count = Integer.parseInt(request.getParameter("threads"));
        long warmUp = Long.parseLong(request.getParameter("warmup")) * 1_000_000_000L;
        long window = Long.parseLong(request.getParameter("seconds")) * 1_000_000_000L;
        byte[] content = request.getInputStream().readAllBytes();
        LongAdder submitted = new LongAdder();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Envelope envelope = Envelope.of("bench@submit.example", "rcpt" + i + "@submit.example");
            workers.add(threads.newThread(() -> {
                try {
                    while (!stop.get()) {
                        try (OutboxConnection connection = outbox.getConnection()) {
                            connection.submit(content, envelope);
                        }
                        submitted.increment();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                    stop.set(true);
                }
            }));
        }
        workers.forEach(Thread::start);
        long counted;
        long nanos;
        try {
            Thread.sleep(warmUp / 1_000_000);
            long before = submitted.sum();
            long start = System.nanoTime();
            Thread.sleep(window / 1_000_000);
            counted = submitted.sum() - before;
            nanos = System.nanoTime() - start;
            stop.set(true);
            for (Thread worker : workers) {
                worker.join();
            }
        } catch (InterruptedException e) {
            stop.set(true);
            Thread.currentThread().interrupt();
            response.sendError(500, "interrupted");
            return;
        }
        if (failure.get() != null) {
            response.setStatus(500);
            response.setContentType("text/plain");
            response.getWriter().print("a submitter failed: " + failure.get());
            return;
        }
        response.setContentType("text/plain");
        response.getWriter().print(counted + " " + nanos);
    }
}
