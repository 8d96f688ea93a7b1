package dev.engram.core.memory;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import java.time.Instant;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One stored memory: its key, a JSON object value (normalised: immutable, keys sorted), a kind label, where it came
 * from, when it was created and last written, and when it expires (null: never).
 */
public record MemoryItem(MemoryKey key, Map<String, Object> value, String kind, @Nullable Provenance provenance,
                         Instant createdAt, Instant updatedAt, @Nullable Instant expiresAt) {

    public static final String FACT = "fact";
    public static final String SUMMARY = "summary";

    public MemoryItem {
        if (key == null || value == null || createdAt == null || updatedAt == null) {
            throw new InvalidInputException("a memory item needs a key, a value, createdAt and updatedAt");
        }
        Ids.require(kind, "kind");
    }

    /** Whether the item has expired at {@code now}; an expired item is never returned. */
    public boolean expiredAt(Instant now) {
        return expiresAt != null && !expiresAt.isAfter(now);
    }
}
