package dev.outbox.cli;

import org.junit.jupiter.api.Test;

import java.util.List;

import static dev.outbox.cli.Fixtures.BOUNCE;
import static dev.outbox.cli.Fixtures.DETAIL;
import static dev.outbox.cli.Fixtures.FROZEN_MESSAGE;
import static dev.outbox.cli.Fixtures.FROZEN_QUEUE;
import static dev.outbox.cli.Fixtures.RETRY_QUEUE;
import static dev.outbox.cli.Fixtures.STATUS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tables people read: alignment, times relative to now, "-" for nothing, and how to get the next page. */
class TextReportTest {

    private final TextReport report = new TextReport(Fixtures.NOW);

    @Test
    void queuesAreOneAlignedLineEach() {
        assertEquals("""
                DESTINATION           STATE   MESSAGES  OLDEST  NEXT RETRY  LAST ERROR
                127.0.0.1:40025       FROZEN         3  1m15s   -           -
                relay.example.com:25  RETRY        120  2h01m   in 1m05s    421 4.3.2 Service not available
                """, report.queues(List.of(FROZEN_QUEUE, RETRY_QUEUE)));
    }

    @Test
    void noQueuesSaysSo() {
        assertEquals("no transfer queues (a queue appears with its first message)\n", report.queues(List.of()));
    }

    @Test
    void aPageOfAQueueSaysWhereTheNextPageStarts() {
        assertEquals("""
                ID            AGE   SIZE  SENDER           RCPTS  NEXT RETRY  STATES
                01JF8Q2ZK3  2m00s    512  app@example.com      1  -           FROZEN 1
                01JF8Q2ZK4  1h00m  20480  <>                   3  in 30s      DEFERRED 2, DELIVERED 1
                queue 127.0.0.1:40025: messages 1-2 of 3; next page: --offset 2
                """, report.messages(FROZEN_QUEUE, 0, 2, List.of(FROZEN_MESSAGE, BOUNCE)));
    }

    @Test
    void theLastPageOfAQueueHasNoNextPage() {
        String text = report.messages(FROZEN_QUEUE, 2, 2, List.of(BOUNCE));

        assertTrue(text.endsWith("queue 127.0.0.1:40025: messages 3-3 of 3\n"), text);
        assertEquals("no messages in queue 127.0.0.1:40025\n", report.messages(FROZEN_QUEUE, 0, 100, List.of()));
        assertEquals("no messages past 10 in queue 127.0.0.1:40025 (it holds 3)\n", report.messages(FROZEN_QUEUE, 10, 100, List.of()));
    }

    @Test
    void aFullPageOfFoundMessagesSaysMoreMayFollow() {
        String full = report.found("example", 0, 2, List.of(FROZEN_MESSAGE, BOUNCE));
        String partial = report.found("", 4, 10, List.of(BOUNCE));

        assertTrue(full.startsWith("ID "), full);
        assertTrue(full.endsWith("live messages matching \"example\": 1-2; more may follow: --offset 2\n"), full);
        assertTrue(partial.endsWith("live messages: 5-5\n"), partial);
        assertEquals("no live messages matching \"nobody\"\n", report.found("nobody", 0, 100, List.of()));
    }

    @Test
    void aMessageShowsItsEnvelopeEachRecipientAndItsHeadersMadePrintable() {
        assertEquals("""
                Message    01JF8Q2ZK4
                Sender     app@example.com
                Submitted  2026-12-06T11:00:00Z (1h00m ago)
                Expires    2026-12-08T11:00:00Z (in 1d23h)
                Size       20480 bytes

                RECIPIENT    DESTINATION           STATE      DUE     ATTEMPTS  LAST REPLY
                a@x.example  relay.example.com:25  DEFERRED   in 30s         2  451 4.7.1 greylisted
                b@y.example  relay.example.com:25  DELIVERED  -              1  250 2.0.0 OK queued
                c@z.example  relay.example.com:25  FROZEN     -              0  -

                HEADERS
                  From: app@example.com
                  To: a@x.example, b@y.example
                  Subject: a long
                    subject ?[2J
                """, report.message(DETAIL), "the folded line's tab is a space; the escape sequence is defused");
    }

    @Test
    void statusNamesEachCount() {
        String text = report.status(STATUS);

        assertTrue(text.startsWith("Outbox           running\n"), text);
        assertTrue(text.contains("Messages         123\n"), text);
        assertTrue(text.contains("Recipients now   queued 1, in flight 2, deferred 3, frozen 4\n"), text);
        assertTrue(text.contains("Overdue now      0\n"), text);
        assertTrue(text.contains("Since start      delivered 1000, bounced 5, expired 6, deleted 7, deferrals 8\n"), text);
        assertTrue(text.contains("Notices          bounces 9, delay notices 10, withheld 11 (null sender)\n"), text);
        assertTrue(text.contains("Retry schedule   1m, 5m, 15m, 1h\n"), text);
        assertTrue(report.status(new ManagerStatus(true, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0, 0, 0, "", ""))
                .contains("Outbox           paused"), "paused");
    }

    @Test
    void changesSayWhatTheyDid() {
        assertEquals("froze 1 recipient of message m1\n", report.outcome(Outcome.recipients(Command.FREEZE, "m1", 1)));
        assertEquals("unfroze 2 recipients of message m1\n", report.outcome(Outcome.recipients(Command.UNFREEZE, "m1", 2)));
        assertEquals("message m1: 0 recipients due now\n", report.outcome(Outcome.recipients(Command.RETRY, "m1", 0)));
        assertEquals("deleted 3 recipients of message m1\n", report.outcome(Outcome.recipients(Command.DELETE, "m1", 3)));
        assertEquals("queue q:25 is FROZEN\n", report.outcome(Outcome.queueState(Command.FREEZE_QUEUE, "q:25", "FROZEN")));
        assertEquals("queue q:25: 0 recipients due now (the queue is FROZEN: unfreeze-queue first)\n",
                report.outcome(new Outcome(Command.RETRY_QUEUE, "q:25", 0, "FROZEN", null)));
        assertEquals("deleted 4 recipients in queue q:25\n", report.outcome(Outcome.recipients(Command.DELETE_ALL, "q:25", 4)));
        assertEquals("Outbox is paused: no new connections until resume\n", report.outcome(Outcome.paused(Command.PAUSE, true)));
        assertEquals("Outbox is running\n", report.outcome(Outcome.paused(Command.RESUME, false)));
        assertEquals("7 recipients due now\n", report.outcome(Outcome.recipients(Command.RETRY_ALL, null, 7)));
    }

    @Test
    void timesAreRelativeToNowAndAgesCompact() {
        assertEquals("in 30s", report.when("2026-12-06T12:00:30Z"));
        assertEquals("2m00s ago", report.when("2026-12-06T11:58:00Z"));
        assertEquals("now", report.when("2026-12-06T12:00:00.400Z"));
        assertEquals("-", report.when(""));
        assertEquals("not a time", report.when("not a time"), "shown as sent");
        assertEquals("0s", TextReport.age(0));
        assertEquals("59s", TextReport.age(59));
        assertEquals("1m00s", TextReport.age(60));
        assertEquals("59m59s", TextReport.age(3599));
        assertEquals("1h00m", TextReport.age(3600));
        assertEquals("23h59m", TextReport.age(86_399));
        assertEquals("1d00h", TextReport.age(86_400));
        assertEquals("12d03h", TextReport.age(12 * 86_400 + 3 * 3600 + 59));
    }

    @Test
    void serverTextCannotReachTheTerminalAsControlCharacters() {
        QueueSummary hostile = new QueueSummary("evil:25", "RETRY", 1, 1, 1, "", "", "550 \u001b]0;owned\u0007 no\r\nmore", 1, 0);

        String text = report.queues(List.of(hostile));

        assertFalse(text.chars().anyMatch(c -> c < 0x20 && c != '\n'), text);
        assertTrue(text.contains("550 ?]0;owned? no more"), text);
    }
}
