package dev.engram.server.json;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.engram.core.internal.Ids;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.NamespaceQuery;
import dev.engram.server.ApiException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Reads the JSON bodies of the memory API (the same on HTTP and the event bus) into the engine's memory requests,
 * for the caller's tenant. Unknown fields, wrong types, invalid segments or keys and the engine's reserved namespaces
 * are refused here, before the store is called.
 */
public final class MemoryRequests {

    /** The longest {@code ttlMinutes} accepted: 100 years. */
    public static final long MAX_TTL_MINUTES = 100L * 365 * 24 * 60;
    /** The most items or namespaces one page may ask for (a search is further capped by {@code memory.maxMemories}). */
    public static final int MAX_LIMIT = 1000;

    private static final Set<String> PUT = Set.of("namespace", "key", "value", "kind", "ttlMinutes");
    private static final Set<String> KEY = Set.of("namespace", "key");
    private static final Set<String> SEARCH = Set.of("namespacePrefix", "query", "filter", "kind", "limit", "offset");
    private static final Set<String> NAMESPACES = Set.of("prefix", "suffix", "maxDepth", "limit", "offset");

    private MemoryRequests() {
    }

    public static MemoryWrite put(String tenant, ObjectNode body) {
        Fields f = Fields.of(body, "", PUT);
        MemoryKey key = key(tenant, f);
        Map<String, Object> value = f.valueMap("value");
        if (value == null) {
            throw ApiException.invalidInput("value is required (a JSON object)");
        }
        String kind = f.optionalString("kind");
        Long ttlMinutes = f.optionalInteger("ttlMinutes");
        Duration ttl = null;
        if (ttlMinutes != null) {
            if (ttlMinutes < 1 || ttlMinutes > MAX_TTL_MINUTES) {
                throw ApiException.invalidInput("ttlMinutes must be 1.." + MAX_TTL_MINUTES + ", got " + ttlMinutes);
            }
            ttl = Duration.ofMinutes(ttlMinutes);
        }
        return new MemoryWrite(key, value, kind == null ? MemoryItem.FACT : id(kind, "kind"), ttl, null);
    }

    /** The item named by a get or delete body. */
    public static MemoryKey key(String tenant, ObjectNode body) {
        return key(tenant, Fields.of(body, "", KEY));
    }

    public static MemorySearch search(String tenant, ObjectNode body) {
        Fields f = Fields.of(body, "", SEARCH);
        Namespace prefix = namespace(f, "namespacePrefix", false);
        Map<String, Object> filter = f.valueMap("filter");
        String kind = f.optionalString("kind");
        String query = f.optionalString("query");
        // a search box left empty asks for no ranking, not for an error
        return new MemorySearch(tenant, prefix, query == null || query.isBlank() ? null : query, filter == null ? Map.of() : filter,
                kind == null ? null : id(kind, "kind"), limit(f, MemorySearch.DEFAULT_LIMIT), offset(f));
    }

    public static NamespaceQuery namespaces(String tenant, ObjectNode body) {
        Fields f = Fields.of(body, "", NAMESPACES);
        Long maxDepth = f.optionalInteger("maxDepth");
        if (maxDepth != null && (maxDepth < 1 || maxDepth > Namespace.MAX_DEPTH)) {
            throw ApiException.invalidInput("maxDepth must be 1.." + Namespace.MAX_DEPTH + ", got " + maxDepth);
        }
        return new NamespaceQuery(tenant, namespace(f, "prefix", false), namespace(f, "suffix", false),
                maxDepth == null ? null : maxDepth.intValue(), limit(f, NamespaceQuery.DEFAULT_LIMIT), offset(f));
    }

    private static MemoryKey key(String tenant, Fields f) {
        Namespace namespace = namespace(f, "namespace", true);
        return new MemoryKey(tenant, namespace, id(f.string("key"), "key"));
    }

    /**
     * A namespace array. An item's namespace needs at least one segment; a prefix or suffix may be empty or absent (no
     * condition). A namespace or prefix whose first segment is reserved for the engine is refused; a suffix is not a
     * namespace's start, so the rule does not apply to it.
     */
    private static Namespace namespace(Fields f, String name, boolean itemNamespace) {
        List<String> segments = f.stringList(name);
        if (segments == null) {
            if (itemNamespace) {
                throw ApiException.invalidInput(name + " is required (an array of at least one segment)");
            }
            return Namespace.ROOT;
        }
        if (itemNamespace && segments.isEmpty()) {
            throw ApiException.invalidInput(name + " must have at least one segment");
        }
        if (segments.size() > Namespace.MAX_DEPTH) {
            throw ApiException.invalidInput(name + " has at most " + Namespace.MAX_DEPTH + " segments, got " + segments.size());
        }
        for (int i = 0; i < segments.size(); i++) {
            id(segments.get(i), name + "[" + i + "]");
        }
        Namespace namespace = new Namespace(segments);
        if (!name.equals("suffix") && namespace.isReserved()) {
            throw ApiException.invalidInput(name + "[0] " + Ids.quote(segments.get(0)) + " is reserved: namespaces starting with '"
                    + Namespace.RESERVED_PREFIX + "' belong to the engine");
        }
        return namespace;
    }

    private static String id(String value, String what) {
        if (!Ids.isValid(value)) {
            throw ApiException.invalidInput(what + " must be " + Ids.RULE + ", got " + Ids.quote(value));
        }
        return value;
    }

    private static int limit(Fields f, int fallback) {
        @Nullable Long limit = f.optionalInteger("limit");
        if (limit == null) {
            return fallback;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.invalidInput("limit must be 1.." + MAX_LIMIT + ", got " + limit);
        }
        return limit.intValue();
    }

    private static int offset(Fields f) {
        @Nullable Long offset = f.optionalInteger("offset");
        if (offset == null) {
            return 0;
        }
        if (offset < 0 || offset > Integer.MAX_VALUE) {
            throw ApiException.invalidInput("offset must be 0.." + Integer.MAX_VALUE + ", got " + offset);
        }
        return offset.intValue();
    }
}
