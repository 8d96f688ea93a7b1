package dev.engram.core.model;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** One stored event of a thread: its 1-based, gapless {@code version}, its id, when it was appended, and its change. */
public record Event(ThreadKey key, long version, UUID eventId, Instant timestamp, Change change, Map<String, String> metadata) {

    public String type() {
        return change.type();
    }
}
