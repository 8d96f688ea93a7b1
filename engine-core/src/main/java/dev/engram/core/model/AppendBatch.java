package dev.engram.core.model;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.JsonValues;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Events appended together: all or none, at consecutive versions.
 *
 * @param expected the head the thread must have (default {@link ExpectedVersion#any()})
 * @param metadata the thread's metadata when this append creates it; ignored for an existing thread
 * @param ttl      the thread's time to live, refreshed by this write; null: the engine's default ({@code threads.ttl})
 */
public record AppendBatch(List<NewEvent> events, ExpectedVersion expected, Map<String, String> metadata, @Nullable Duration ttl) {

    public AppendBatch {
        if (events == null || events.isEmpty()) {
            throw new InvalidInputException("an append needs at least one event");
        }
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i) == null) {
                throw new InvalidInputException("events[" + i + "] is null");
            }
        }
        events = List.copyOf(events);
        if (expected == null) {
            throw new InvalidInputException("expected version is required");
        }
        metadata = JsonValues.normalizeStrings(metadata == null ? Map.of() : metadata, "thread metadata");
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new InvalidInputException("ttl must be positive, got " + ttl);
        }
    }

    public static AppendBatch of(List<NewEvent> events) {
        return new AppendBatch(events, ExpectedVersion.any(), Map.of(), null);
    }

    public static AppendBatch of(NewEvent... events) {
        return of(List.of(events));
    }

    /** A batch of changes, each with a fresh event id. */
    public static AppendBatch ofChanges(List<Change> changes) {
        return of(changes.stream().map(NewEvent::of).toList());
    }

    public AppendBatch expect(ExpectedVersion newExpected) {
        return new AppendBatch(events, newExpected, metadata, ttl);
    }

    public AppendBatch metadata(Map<String, String> newMetadata) {
        return new AppendBatch(events, expected, newMetadata, ttl);
    }

    public AppendBatch ttl(@Nullable Duration newTtl) {
        return new AppendBatch(events, expected, metadata, newTtl);
    }
}
