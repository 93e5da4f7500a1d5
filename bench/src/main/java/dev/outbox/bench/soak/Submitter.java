package dev.outbox.bench.soak;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Submits the soak's messages through the demo application ({@code POST /outbox-demo/api/messages}),
 * as an application would, from a few threads, spread evenly over the server's up time: message
 * {@code n} goes no sooner than {@code n / messages} of the spread after the first start, counted
 * in up time, so the kills fall among the submits.
 *
 * <p>Each message ends in one of three ways. <b>Accepted</b>: the answer 202 came back, with the
 * queue id; Outbox has it durably and owes an outcome for each recipient. <b>Unconfirmed</b>: the
 * request went out and no answer came (the server was killed meanwhile); Outbox may or may not
 * have it, so it owes nothing, but whatever of it arrives is counted. <b>Refused</b>: any other
 * answer, which the soak reports as an error. A request that never reached the server
 * (connection refused) or found Outbox not ready (404 or 503 while it starts) is sent again once
 * the server is up: nothing of it was taken.
 *
 * <p>Threading: {@link #start()} starts the threads, {@link #await()} waits for them; the results
 * are thread-safe maps and sets, complete after {@link #await()}.
 */
final class Submitter {

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([^\"]+)\"");
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(60);

    private final SoakMail mail;
    private final SoakServer server;
    private final int messages;
    private final long spreadNanos;
    private final HttpClient http;
    private final AtomicInteger next = new AtomicInteger();
    private final List<Thread> threads = new ArrayList<>();
    private final Map<Integer, String> accepted = new ConcurrentHashMap<>();
    private final Set<Integer> unconfirmed = ConcurrentHashMap.newKeySet();
    private final Map<Integer, String> refused = new ConcurrentHashMap<>();
    private final AtomicInteger resent = new AtomicInteger();

    Submitter(SoakMail mail, SoakServer server, int messages, Duration spread, int threads) {
        this.mail = mail;
        this.server = server;
        this.messages = messages;
        this.spreadNanos = spread.toNanos();
        this.http = server.http();
        for (int i = 0; i < threads; i++) {
            Thread thread = new Thread(this::run, "soak-submitter-" + i);
            thread.setDaemon(true);
            this.threads.add(thread);
        }
    }

    void start() {
        threads.forEach(Thread::start);
    }

    void await() throws InterruptedException {
        for (Thread thread : threads) {
            thread.join();
        }
    }

    boolean isDone() {
        return threads.stream().noneMatch(Thread::isAlive);
    }

    /** Messages taken so far (accepted, unconfirmed or refused). */
    int taken() {
        return accepted.size() + unconfirmed.size() + refused.size();
    }

    /** Accepted messages: number to Outbox's queue id. */
    Map<Integer, String> accepted() {
        return accepted;
    }

    Set<Integer> unconfirmed() {
        return unconfirmed;
    }

    /** Refused messages: number to the answer. */
    Map<Integer, String> refused() {
        return refused;
    }

    /** Requests sent again because the earlier one provably reached no Outbox. */
    int resent() {
        return resent.get();
    }

    private void run() {
        try {
            for (int n = next.getAndIncrement(); n < messages; n = next.getAndIncrement()) {
                awaitTurn(n);
                submit(n);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Waits until the server has been up for message {@code n}'s share of the spread. */
    private void awaitTurn(int n) throws InterruptedException {
        long due = spreadNanos / messages * n;
        while (true) {
            server.awaitUp();
            long wait = due - server.upNanos();
            if (wait <= 0) {
                return;
            }
            TimeUnit.NANOSECONDS.sleep(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(200)));
        }
    }

    private void submit(int n) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(server.messagesApi()).timeout(ANSWER_LIMIT)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(mail.json(n))).build();
        while (true) {
            server.awaitUp();
            HttpResponse<String> response;
            try {
                response = http.send(request, HttpResponse.BodyHandlers.ofString());
            } catch (ConnectException | HttpConnectTimeoutException e) {
                resent.incrementAndGet(); // no connection, so no request: send it again once the server is back
                TimeUnit.MILLISECONDS.sleep(200);
                continue;
            } catch (IOException e) {
                unconfirmed.add(n); // sent, and no answer: Outbox may have it
                return;
            }
            int status = response.statusCode();
            if (status == 202) {
                Matcher id = ID.matcher(response.body());
                accepted.put(n, id.find() ? id.group(1) : "?");
                return;
            }
            if (status == 404 || status == 503) {
                resent.incrementAndGet(); // not deployed yet, or Outbox not ready: nothing was taken
                TimeUnit.MILLISECONDS.sleep(200);
                continue;
            }
            refused.put(n, status + " " + response.body());
            return;
        }
    }
}
