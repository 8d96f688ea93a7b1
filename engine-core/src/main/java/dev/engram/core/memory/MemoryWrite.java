package dev.engram.core.memory;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import dev.engram.core.internal.JsonValues;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * An upsert: the item at {@code key} gets {@code value}; its creation time is kept when it already exists.
 *
 * @param ttl        how long the item lives after this write; null: the configured default ({@code memory.ttl}), if any
 * @param provenance where the value came from; null for a value put by hand
 */
public record MemoryWrite(MemoryKey key, Map<String, Object> value, String kind, @Nullable Duration ttl, @Nullable Provenance provenance) {

    public MemoryWrite {
        if (key == null) {
            throw new InvalidInputException("key is required");
        }
        value = JsonValues.normalizeMap(value, "value");
        Ids.require(kind, "kind");
        if (ttl != null && (ttl.isNegative() || ttl.isZero())) {
            throw new InvalidInputException("ttl must be positive, got " + ttl);
        }
    }

    /** A fact with no TTL of its own and no provenance. */
    public static MemoryWrite of(MemoryKey key, Map<String, ?> value) {
        return new MemoryWrite(key, JsonValues.normalizeMap(value, "value"), MemoryItem.FACT, null, null);
    }

    public MemoryWrite kind(String newKind) {
        return new MemoryWrite(key, value, newKind, ttl, provenance);
    }

    public MemoryWrite ttl(@Nullable Duration newTtl) {
        return new MemoryWrite(key, value, kind, newTtl, provenance);
    }

    public MemoryWrite provenance(@Nullable Provenance newProvenance) {
        return new MemoryWrite(key, value, kind, ttl, newProvenance);
    }
}
