package dev.engram.core.model;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.EventIds;
import dev.engram.core.internal.JsonValues;
import java.util.Map;
import java.util.UUID;

/**
 * An event to append. The {@code eventId} makes the append idempotent: appending the same ids again
 * returns the versions they got the first time and writes nothing. Keep the instance to retry with it.
 */
public record NewEvent(UUID eventId, Change change, Map<String, String> metadata) {

    public NewEvent {
        if (eventId == null) {
            throw new InvalidInputException("eventId is required");
        }
        if (change == null) {
            throw new InvalidInputException("change is required");
        }
        metadata = JsonValues.normalizeStrings(metadata == null ? Map.of() : metadata, "event metadata");
    }

    /** A new event with a random id. */
    public static NewEvent of(Change change) {
        return new NewEvent(EventIds.next(), change, Map.of());
    }

    public static NewEvent of(UUID eventId, Change change) {
        return new NewEvent(eventId, change, Map.of());
    }
}
