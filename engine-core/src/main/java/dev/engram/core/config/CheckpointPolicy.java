package dev.engram.core.config;

import dev.engram.core.ConfigurationException;

/**
 * When checkpoints are taken and how many are kept. A checkpoint is taken off the append path when an append
 * crosses a multiple of {@code everyEvents}, or when the events since the last checkpoint exceed {@code tailBytes}.
 *
 * @param everyEvents         take one every N events (default 100; 0 disables the count rule)
 * @param tailBytes           or when the tail since the last one exceeds this many encoded bytes (default 1 MiB; 0 disables)
 * @param keep                keep the newest K checkpoints per thread (default 3)
 * @param deleteCoveredEvents delete the events covered by the oldest kept checkpoint (default false: the log is the audit trail)
 */
public record CheckpointPolicy(int everyEvents, long tailBytes, int keep, boolean deleteCoveredEvents) {

    public static final int DEFAULT_EVERY_EVENTS = 100;
    public static final long DEFAULT_TAIL_BYTES = 1024 * 1024;
    public static final int DEFAULT_KEEP = 3;

    public CheckpointPolicy {
        if (everyEvents < 0 || tailBytes < 0) {
            throw new ConfigurationException("checkpoints.everyEvents and checkpoints.tailBytes must not be negative");
        }
        if (keep < 1) {
            throw new ConfigurationException("checkpoints.keep must be at least 1, got " + keep);
        }
    }

    public static CheckpointPolicy defaults() {
        return new CheckpointPolicy(DEFAULT_EVERY_EVENTS, DEFAULT_TAIL_BYTES, DEFAULT_KEEP, false);
    }

    /** Whether an append that moved the head from {@code before} to {@code after} crossed a multiple of {@code everyEvents}. */
    public boolean crossesInterval(long before, long after) {
        return everyEvents > 0 && before / everyEvents != after / everyEvents;
    }
}
