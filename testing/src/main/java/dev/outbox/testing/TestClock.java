package dev.outbox.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/** A clock that moves only when the test moves it: due times pass without waiting, and the test decides when a millisecond passes. */
public final class TestClock extends Clock {

    private volatile long millis;

    public TestClock(Instant start) {
        this.millis = start.toEpochMilli();
    }

    /** Moves the clock by {@code duration}, backwards when it is negative. */
    public void advance(Duration duration) {
        millis += duration.toMillis();
    }

    @Override
    public long millis() {
        return millis;
    }

    @Override
    public Instant instant() {
        return Instant.ofEpochMilli(millis);
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}
