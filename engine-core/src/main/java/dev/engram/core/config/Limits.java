package dev.engram.core.config;

import dev.engram.core.ConfigurationException;

/**
 * Input limits, checked before any I/O.
 *
 * @param maxEventBytes      the largest encoded event (default 1 MiB)
 * @param maxEventsPerAppend the most events in one append (default 1,000)
 */
public record Limits(long maxEventBytes, int maxEventsPerAppend) {

    public static final long DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
    public static final int DEFAULT_MAX_EVENTS_PER_APPEND = 1000;

    public Limits {
        if (maxEventBytes < 64) {
            throw new ConfigurationException("limits.maxEventBytes must be at least 64, got " + maxEventBytes);
        }
        if (maxEventsPerAppend < 1) {
            throw new ConfigurationException("limits.maxEventsPerAppend must be at least 1, got " + maxEventsPerAppend);
        }
    }

    public static Limits defaults() {
        return new Limits(DEFAULT_MAX_EVENT_BYTES, DEFAULT_MAX_EVENTS_PER_APPEND);
    }
}
