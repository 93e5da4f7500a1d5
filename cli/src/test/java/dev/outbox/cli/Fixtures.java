package dev.outbox.cli;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

/** Answers as the server gives them, at a fixed now, for the report tests. */
final class Fixtures {

    static final Clock NOW = Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC);

    static final QueueSummary FROZEN_QUEUE = new QueueSummary("127.0.0.1:40025", "FROZEN", 3, 1234, 75, "", "2026-12-06T11:59:00Z",
            "", 0, 0);
    static final QueueSummary RETRY_QUEUE = new QueueSummary("relay.example.com:25", "RETRY", 120, 99_999, 7300,
            "2026-12-06T12:01:05.250Z", "2026-12-06T11:59:58Z", "421 4.3.2 Service not available", 4, 0);

    static final MessageSummary FROZEN_MESSAGE = new MessageSummary("01JF8Q2ZK3", "app@example.com", "2026-12-06T11:58:00Z", 512, 1, 1,
            "FROZEN 1", "");
    static final MessageSummary BOUNCE = new MessageSummary("01JF8Q2ZK4", "", "2026-12-06T11:00:00Z", 20_480, 3, 2,
            "DEFERRED 2, DELIVERED 1", "2026-12-06T12:00:30Z");

    static final MessageDetail DETAIL = new MessageDetail("01JF8Q2ZK4", "app@example.com", "2026-12-06T11:00:00Z",
            "2026-12-08T11:00:00.123Z", 20_480,
            "From: app@example.com\r\nTo: a@x.example, b@y.example\r\nSubject: a long\r\n \tsubject \u001b[2J\r\n",
            List.of(new MessageDetail.Recipient("a@x.example", "relay.example.com:25", "DEFERRED", "2026-12-06T12:00:30Z", 2,
                            "451 4.7.1 greylisted"),
                    new MessageDetail.Recipient("b@y.example", "relay.example.com:25", "DELIVERED", "", 1, "250 2.0.0 OK queued"),
                    new MessageDetail.Recipient("c@z.example", "relay.example.com:25", "FROZEN", "", 0, "")));

    static final ManagerStatus STATUS = new ManagerStatus(false, 123, 456_789, 1, 2, 3, 4, 0, 1000, 5, 6, 7, 8, 0, 9, 10, 11, "1m, 5m, 15m, 1h",
            "2d");

    private Fixtures() {
    }
}
