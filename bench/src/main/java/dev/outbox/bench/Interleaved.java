package dev.outbox.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Several rates measured in turns on the same disk. Each round gives every lane one slice of
 * time, so a disk whose speed drifts during the run (a cloud volume spending burst credits, a
 * neighbour's I/O) slows all figures alike, and the ratios between them hold where single
 * figures taken a minute apart would not.
 *
 * <p>{@link #lane} adds a measurement (its threads and operation); {@link #run} runs the rounds:
 * first one untimed warm-up slice per lane, then {@code rounds} rounds of one counted slice per
 * lane, each slice after a short ramp-up (threads starting), the lane that goes first moving on
 * by one each round. {@link Lane#rate()} then gives each lane's operations over its counted time.
 * Not thread-safe: the main thread drives it. Failures of an operation propagate from
 * {@link #run} as {@link TimedRun} reports them.
 */
final class Interleaved {

    /** One measurement taken in turns with the others. */
    static final class Lane {
        final String name;
        final int threads;
        final int bytesEach;
        final TimedRun.Operations operations;
        private final List<Rate> slices = new ArrayList<>();

        private Lane(String name, int threads, int bytesEach, TimedRun.Operations operations) {
            this.name = name;
            this.threads = threads;
            this.bytesEach = bytesEach;
            this.operations = operations;
        }

        /** Operations over counted time, all slices together. */
        Rate rate() {
            Rate sum = new Rate(0, 0, 0, bytesEach);
            for (Rate slice : slices) {
                sum = sum.plus(slice);
            }
            return sum;
        }

        double slowestSlice() {
            return slices.stream().mapToDouble(Rate::perSecond).min().orElse(0);
        }

        double fastestSlice() {
            return slices.stream().mapToDouble(Rate::perSecond).max().orElse(0);
        }
    }

    private final List<Lane> lanes = new ArrayList<>();

    Lane lane(String name, int threads, int bytesEach, TimedRun.Operations operations) {
        Lane lane = new Lane(name, threads, bytesEach, operations);
        lanes.add(lane);
        return lane;
    }

    void run(int rounds, Duration slice, Duration warmUp, Duration rampUp) throws Exception {
        for (Lane lane : lanes) {
            Progress.say("warm-up: %s", lane.name);
            TimedRun.measure(lane.name, lane.threads, Duration.ZERO, warmUp, lane.bytesEach, lane.operations);
        }
        for (int round = 0; round < rounds; round++) {
            Progress.say("round %d of %d: %d figures, %d ms each", round + 1, rounds, lanes.size(), slice.toMillis());
            for (int i = 0; i < lanes.size(); i++) {
                Lane lane = lanes.get((round + i) % lanes.size());
                lane.slices.add(TimedRun.measure(lane.name, lane.threads, rampUp, slice, lane.bytesEach, lane.operations));
            }
        }
    }
}
