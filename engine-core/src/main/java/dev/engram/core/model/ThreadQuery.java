package dev.engram.core.model;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import dev.engram.core.internal.JsonValues;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Lists a tenant's threads whose metadata contains every entry of {@code metadata}, ordered by
 * (threadId, namespace), {@code limit} at a time after the cursor {@code after}.
 */
public record ThreadQuery(String tenant, Map<String, String> metadata, @Nullable String after, int limit) {

    public static final int MAX_LIMIT = 1000;

    public ThreadQuery {
        Ids.require(tenant, "tenant");
        metadata = JsonValues.normalizeStrings(metadata == null ? Map.of() : metadata, "metadata filter");
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new InvalidInputException("limit must be 1.." + MAX_LIMIT + ", got " + limit);
        }
    }

    public static ThreadQuery of(String tenant) {
        return new ThreadQuery(tenant, Map.of(), null, 100);
    }

    public ThreadQuery withMetadata(String key, String value) {
        java.util.TreeMap<String, String> m = new java.util.TreeMap<>(metadata);
        m.put(key, value);
        return new ThreadQuery(tenant, m, after, limit);
    }

    public ThreadQuery after(@Nullable String cursor) {
        return new ThreadQuery(tenant, metadata, cursor, limit);
    }

    public ThreadQuery limit(int newLimit) {
        return new ThreadQuery(tenant, metadata, after, newLimit);
    }
}
