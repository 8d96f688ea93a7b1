package dev.engram.core.memory;

import dev.engram.core.InvalidInputException;
import dev.engram.core.internal.Ids;
import dev.engram.core.internal.JsonValues;
import dev.engram.core.model.ThreadKey;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * A search of one tenant's items under a namespace prefix.
 *
 * @param query  text to rank by (lexical, or cosine similarity when an embedder is configured); null: newest first
 * @param filter conditions on value fields, all of which must hold: {@code {"field": value}} is equality, and
 *               {@code {"field": {"$gt": 3}}} compares with {@code $eq $ne $gt $gte $lt $lte}; a dotted name reaches
 *               into nested objects
 * @param kind   only items of this kind; null: any
 * @param limit  at most this many items (1..{@code memory.maxMemories}); summaries are further capped by {@code memory.maxSummaries}
 * @param offset items to skip in the ranked order
 */
public record MemorySearch(String tenant, Namespace prefix, @Nullable String query, Map<String, Object> filter,
                           @Nullable String kind, int limit, int offset) {

    public static final int DEFAULT_LIMIT = 10;

    public MemorySearch {
        Ids.require(tenant, "tenant");
        if (prefix == null) {
            throw new InvalidInputException("namespacePrefix is required");
        }
        filter = JsonValues.normalizeMap(filter, "filter");
        if (kind != null) {
            Ids.require(kind, "kind");
        }
        if (limit < 1) {
            throw new InvalidInputException("limit must be at least 1, got " + limit);
        }
        if (offset < 0) {
            throw new InvalidInputException("offset must not be negative, got " + offset);
        }
    }

    /** Every item of the default tenant under {@code prefix}, newest first, {@value #DEFAULT_LIMIT} at a time. */
    public static MemorySearch under(Namespace prefix) {
        return new MemorySearch(ThreadKey.DEFAULT_TENANT, prefix, null, Map.of(), null, DEFAULT_LIMIT, 0);
    }

    public static MemorySearch under(String tenant, Namespace prefix) {
        return new MemorySearch(tenant, prefix, null, Map.of(), null, DEFAULT_LIMIT, 0);
    }

    public MemorySearch query(@Nullable String text) {
        return new MemorySearch(tenant, prefix, text, filter, kind, limit, offset);
    }

    public MemorySearch filter(Map<String, ?> conditions) {
        return new MemorySearch(tenant, prefix, query, JsonValues.normalizeMap(conditions, "filter"), kind, limit, offset);
    }

    public MemorySearch kind(@Nullable String onlyKind) {
        return new MemorySearch(tenant, prefix, query, filter, onlyKind, limit, offset);
    }

    public MemorySearch limit(int max) {
        return new MemorySearch(tenant, prefix, query, filter, kind, max, offset);
    }

    public MemorySearch offset(int skip) {
        return new MemorySearch(tenant, prefix, query, filter, kind, limit, skip);
    }
}
