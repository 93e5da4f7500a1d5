package dev.outbox.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code --json} output: one JSON object per run, whose field names are the MBeans' attribute
 * and item names in lower camel case (a public contract, like the MBeans: add fields, never rename
 * one). Values are as the server sends them: times are ISO-8601 instants in UTC or "" for none,
 * sizes in bytes, ages in seconds. Stateless.
 *
 * <ul>
 * <li>queues: {@code {"queues": [{destination, state, messageCount, sizeBytes, oldestMessageAgeSeconds,
 *     nextRetryTime, lastAttemptTime, lastError, consecutiveFailures, activeConnections}]}}</li>
 * <li>list: {@code {destination, messageCount, offset, limit, "messages": [{id, sender, submitTime,
 *     sizeBytes, recipients, unfinished, states, nextRetryTime}]}}; find: {@code {query, offset, limit, messages}}</li>
 * <li>show: {@code {id, sender, submitTime, expiryTime, sizeBytes, "recipients": [{address, destination,
 *     state, dueTime, attempts, lastReply}], headers}}</li>
 * <li>status: the QueueManager's attributes ({@code paused, messageCount, storeSizeBytes, queued, ...})</li>
 * <li>a change: {@code {command}} and, as the command has them, {@code id} or {@code destination},
 *     {@code recipients} (how many it changed), {@code state} (the queue's, after), {@code paused}</li>
 * </ul>
 */
final class JsonReport implements Report {

    @Override
    public String queues(List<QueueSummary> queues) {
        List<Object> all = new ArrayList<>();
        for (QueueSummary queue : queues) {
            all.add(queue(queue));
        }
        return Json.write(object("queues", all));
    }

    @Override
    public String messages(QueueSummary queue, int offset, int limit, List<MessageSummary> page) {
        Map<String, Object> answer = object("destination", queue.destination());
        answer.put("messageCount", queue.messageCount());
        answer.put("offset", offset);
        answer.put("limit", limit);
        answer.put("messages", summaries(page));
        return Json.write(answer);
    }

    @Override
    public String found(String query, int offset, int limit, List<MessageSummary> page) {
        Map<String, Object> answer = object("query", query);
        answer.put("offset", offset);
        answer.put("limit", limit);
        answer.put("messages", summaries(page));
        return Json.write(answer);
    }

    @Override
    public String message(MessageDetail message) {
        Map<String, Object> answer = object("id", message.id());
        answer.put("sender", message.sender());
        answer.put("submitTime", message.submitTime());
        answer.put("expiryTime", message.expiryTime());
        answer.put("sizeBytes", message.sizeBytes());
        List<Object> recipients = new ArrayList<>();
        for (MessageDetail.Recipient r : message.recipients()) {
            Map<String, Object> recipient = object("address", r.address());
            recipient.put("destination", r.destination());
            recipient.put("state", r.state());
            recipient.put("dueTime", r.dueTime());
            recipient.put("attempts", r.attempts());
            recipient.put("lastReply", r.lastReply());
            recipients.add(recipient);
        }
        answer.put("recipients", recipients);
        answer.put("headers", message.headers());
        return Json.write(answer);
    }

    @Override
    public String status(ManagerStatus s) {
        Map<String, Object> answer = object("paused", s.paused());
        answer.put("messageCount", s.messageCount());
        answer.put("storeSizeBytes", s.storeSizeBytes());
        answer.put("queued", s.queued());
        answer.put("inFlight", s.inFlight());
        answer.put("deferred", s.deferred());
        answer.put("frozen", s.frozen());
        answer.put("overdueRecipients", s.overdueRecipients());
        answer.put("delivered", s.delivered());
        answer.put("bounced", s.bounced());
        answer.put("expired", s.expired());
        answer.put("deleted", s.deleted());
        answer.put("deferrals", s.deferrals());
        answer.put("stuckRecovered", s.stuckRecovered());
        answer.put("bounceNotices", s.bounceNotices());
        answer.put("delayNotices", s.delayNotices());
        answer.put("noticesWithheld", s.noticesWithheld());
        answer.put("retrySchedule", s.retrySchedule());
        answer.put("maxMessageAge", s.maxMessageAge());
        return Json.write(answer);
    }

    @Override
    public String outcome(Outcome outcome) {
        Map<String, Object> answer = object("command", outcome.command().word());
        if (outcome.subject() != null) {
            answer.put(outcome.command().operand() == Command.Operand.ID ? "id" : "destination", outcome.subject());
        }
        if (outcome.recipients() != null) {
            answer.put("recipients", outcome.recipients());
        }
        if (outcome.queueState() != null) {
            answer.put("state", outcome.queueState());
        }
        if (outcome.paused() != null) {
            answer.put("paused", outcome.paused());
        }
        return Json.write(answer);
    }

    private static Map<String, Object> queue(QueueSummary q) {
        Map<String, Object> queue = object("destination", q.destination());
        queue.put("state", q.state());
        queue.put("messageCount", q.messageCount());
        queue.put("sizeBytes", q.sizeBytes());
        queue.put("oldestMessageAgeSeconds", q.oldestMessageAgeSeconds());
        queue.put("nextRetryTime", q.nextRetryTime());
        queue.put("lastAttemptTime", q.lastAttemptTime());
        queue.put("lastError", q.lastError());
        queue.put("consecutiveFailures", q.consecutiveFailures());
        queue.put("activeConnections", q.activeConnections());
        return queue;
    }

    private static List<Object> summaries(List<MessageSummary> page) {
        List<Object> messages = new ArrayList<>();
        for (MessageSummary m : page) {
            Map<String, Object> message = object("id", m.id());
            message.put("sender", m.sender());
            message.put("submitTime", m.submitTime());
            message.put("sizeBytes", m.sizeBytes());
            message.put("recipients", m.recipients());
            message.put("unfinished", m.unfinished());
            message.put("states", m.states());
            message.put("nextRetryTime", m.nextRetryTime());
            messages.add(message);
        }
        return messages;
    }

    private static Map<String, Object> object(String firstName, Object firstValue) {
        Map<String, Object> object = new LinkedHashMap<>();
        object.put(firstName, firstValue);
        return object;
    }
}
