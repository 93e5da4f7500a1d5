package dev.outbox.it;

import dev.outbox.testing.Await;
import dev.outbox.testing.smtp.Received;
import dev.outbox.testing.smtp.ScriptedSmtpServer;

import java.net.URL;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mail one test run submits through the submitter application and reads back from its relay
 * (a scripted SMTP server on the smarthost port the build gives WildFly), told apart from other
 * runs' mail by a mark in every subject and recipient, so leftovers of an earlier test never
 * count. {@link #close} stops the relay.
 */
final class MarkedMail implements AutoCloseable {

    static final String SENDER = "app@example.com";
    /** The transfer queue every recipient goes to: the smarthost the build gives WildFly. */
    static final String DESTINATION = "127.0.0.1:" + TestSmtp.setup().getPort();

    private final URL submitter;
    private final ScriptedSmtpServer relay;
    private final String mark;
    private final Duration deadline;

    private MarkedMail(URL submitter, ScriptedSmtpServer relay, String mark, Duration deadline) {
        this.submitter = submitter;
        this.relay = relay;
        this.mark = mark;
        this.deadline = deadline;
    }

    /** Starts the relay and marks this run's mail with {@code prefix} and a unique suffix. */
    static MarkedMail start(URL submitter, String prefix, Duration deadline) {
        ScriptedSmtpServer relay = ScriptedSmtpServer.start("127.0.0.1", TestSmtp.setup().getPort());
        return new MarkedMail(submitter, relay, prefix + Long.toString(System.nanoTime(), 36), deadline);
    }

    ScriptedSmtpServer relay() {
        return relay;
    }

    /** What every subject and recipient of this run contains. */
    String mark() {
        return mark;
    }

    @Override
    public void close() {
        relay.close();
    }

    /** Submits a short message from {@link #SENDER} to {@code to}, subject {@code label} and the mark; returns its id. */
    String submit(String label, String to) throws Exception {
        String subject = subject(label);
        String content = "From: " + SENDER + "\r\nTo: " + to + "\r\nSubject: " + subject + "\r\n\r\n" + subject + "\r\n";
        Http.Answer answer = Http.submitRaw(submitter, SENDER, content, to);
        assertEquals(200, answer.status(), answer.body());
        assertTrue(answer.body().matches("id=\\S+\n"), answer.body());
        return answer.body().substring("id=".length()).strip();
    }

    String subject(String label) {
        return label + " " + mark;
    }

    String recipient(String label) {
        return label + "-" + mark + "@q.example";
    }

    void awaitSubjects(List<String> subjects) {
        Await.until(deadline, () -> subjectsReceived().containsAll(subjects),
                () -> "delivered " + subjects + "; received " + relay.received());
    }

    /** The subjects of the messages the relay acknowledged, one per copy. */
    List<String> subjectsReceived() {
        return relay.received().stream().filter(Received::acknowledged).map(message -> message.header("Subject").orElse("?")).toList();
    }
}
