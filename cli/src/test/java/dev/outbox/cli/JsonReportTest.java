package dev.outbox.cli;

import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.outbox.cli.Fixtures.BOUNCE;
import static dev.outbox.cli.Fixtures.DETAIL;
import static dev.outbox.cli.Fixtures.FROZEN_MESSAGE;
import static dev.outbox.cli.Fixtures.FROZEN_QUEUE;
import static dev.outbox.cli.Fixtures.RETRY_QUEUE;
import static dev.outbox.cli.Fixtures.STATUS;
import static dev.outbox.cli.JsonTest.parse;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The --json output: valid JSON whose field names are the public contract, values as the server sent them. */
class JsonReportTest {

    private final JsonReport report = new JsonReport();

    @Test
    void queuesCarryEveryAttributeUnderStableNames() {
        JsonObject answer = parse(report.queues(List.of(FROZEN_QUEUE, RETRY_QUEUE)));

        JsonArray queues = answer.getJsonArray("queues");
        assertEquals(2, queues.size());
        JsonObject retry = queues.getJsonObject(1);
        assertEquals(List.of("destination", "state", "messageCount", "sizeBytes", "oldestMessageAgeSeconds", "nextRetryTime",
                "lastAttemptTime", "lastError", "consecutiveFailures", "activeConnections"), List.copyOf(retry.keySet()));
        assertEquals("relay.example.com:25", retry.getString("destination"));
        assertEquals("RETRY", retry.getString("state"));
        assertEquals(120, retry.getInt("messageCount"));
        assertEquals(7300, retry.getInt("oldestMessageAgeSeconds"));
        assertEquals("2026-12-06T12:01:05.250Z", retry.getString("nextRetryTime"), "as the server sent it");
        assertEquals("421 4.3.2 Service not available", retry.getString("lastError"));
        assertEquals("", queues.getJsonObject(0).getString("nextRetryTime"), "none is \"\", as the MBean says");
        assertEquals(List.of(), parse(report.queues(List.of())).getJsonArray("queues"));
    }

    @Test
    void aPageCarriesWhereItIsAndEachMessage() {
        JsonObject list = parse(report.messages(FROZEN_QUEUE, 0, 2, List.of(FROZEN_MESSAGE, BOUNCE)));
        JsonObject found = parse(report.found("example", 5, 10, List.of(BOUNCE)));

        assertEquals(List.of("destination", "messageCount", "offset", "limit", "messages"), List.copyOf(list.keySet()));
        assertEquals(3, list.getInt("messageCount"));
        JsonObject bounce = list.getJsonArray("messages").getJsonObject(1);
        assertEquals(List.of("id", "sender", "submitTime", "sizeBytes", "recipients", "unfinished", "states", "nextRetryTime"),
                List.copyOf(bounce.keySet()));
        assertEquals("", bounce.getString("sender"), "the null reverse path");
        assertEquals(2, bounce.getInt("unfinished"));
        assertEquals(List.of("query", "offset", "limit", "messages"), List.copyOf(found.keySet()));
        assertEquals(5, found.getInt("offset"));
        assertEquals("01JF8Q2ZK4", found.getJsonArray("messages").getJsonObject(0).getString("id"));
    }

    @Test
    void aMessageCarriesItsRecipientsAndHeadersAsStored() {
        JsonObject message = parse(report.message(DETAIL));

        assertEquals(List.of("id", "sender", "submitTime", "expiryTime", "sizeBytes", "recipients", "headers"), List.copyOf(message.keySet()));
        assertEquals(DETAIL.headers(), message.getString("headers"), "CRLF and all");
        JsonObject deferred = message.getJsonArray("recipients").getJsonObject(0);
        assertEquals(List.of("address", "destination", "state", "dueTime", "attempts", "lastReply"), List.copyOf(deferred.keySet()));
        assertEquals("DEFERRED", deferred.getString("state"));
        assertEquals(2, deferred.getInt("attempts"));
        assertEquals("451 4.7.1 greylisted", deferred.getString("lastReply"));
    }

    @Test
    void statusCarriesTheQueueManagersAttributes() {
        JsonObject status = parse(report.status(STATUS));

        assertEquals(List.of("paused", "messageCount", "storeSizeBytes", "queued", "inFlight", "deferred", "frozen", "overdueRecipients",
                "delivered", "bounced", "expired", "deleted", "deferrals", "stuckRecovered", "bounceNotices", "delayNotices", "noticesWithheld",
                "retrySchedule", "maxMessageAge"),
                List.copyOf(status.keySet()));
        assertFalse(status.getBoolean("paused"));
        assertEquals(1000, status.getInt("delivered"));
        assertEquals("2d", status.getString("maxMessageAge"));
    }

    @Test
    void aChangeCarriesTheCommandItsSubjectAndTheAnswer() {
        assertEquals("{\"command\":\"freeze\",\"id\":\"m1\",\"recipients\":1}",
                parse(report.outcome(Outcome.recipients(Command.FREEZE, "m1", 1))).toString());
        assertEquals("{\"command\":\"freeze-queue\",\"destination\":\"q:25\",\"state\":\"FROZEN\"}",
                parse(report.outcome(Outcome.queueState(Command.FREEZE_QUEUE, "q:25", "FROZEN"))).toString());
        assertEquals("{\"command\":\"retry-queue\",\"destination\":\"q:25\",\"recipients\":2,\"state\":\"READY\"}",
                parse(report.outcome(new Outcome(Command.RETRY_QUEUE, "q:25", 2, "READY", null))).toString());
        assertEquals("{\"command\":\"pause\",\"paused\":true}", parse(report.outcome(Outcome.paused(Command.PAUSE, true))).toString());
        assertEquals("{\"command\":\"retry-all\",\"recipients\":0}",
                parse(report.outcome(Outcome.recipients(Command.RETRY_ALL, null, 0))).toString());
    }
}
