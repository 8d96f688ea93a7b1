package dev.engram.server.json;

import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** The JSON form of memory items, search results and namespace listings, the same on HTTP and the event bus. */
public final class MemoryViews {

    private MemoryViews() {
    }

    /**
     * {@code {"namespace", "key", "value", "kind", "provenance", "createdAt", "updatedAt", "expiresAt"}}; the tenant is
     * the caller's and never shown, provenance and expiresAt are null when the item has none.
     */
    public static JsonObject item(MemoryItem item) {
        return new JsonObject()
                .put("namespace", namespace(item.key().namespace()))
                .put("key", item.key().key())
                .put("value", new JsonObject(Views.copy(item.value())))
                .put("kind", item.kind())
                .put("provenance", provenance(item.provenance()))
                .put("createdAt", Views.time(item.createdAt()))
                .put("updatedAt", Views.time(item.updatedAt()))
                .put("expiresAt", item.expiresAt() == null ? null : Views.time(item.expiresAt()));
    }

    /** An item with its {@code score} (null when the search had no query). */
    public static JsonObject hit(MemoryHit hit) {
        return item(hit.item()).put("score", hit.score());
    }

    /** {@code {"items": [...]}} in the order given (best first). */
    public static JsonObject hits(List<MemoryHit> hits) {
        JsonArray items = new JsonArray();
        hits.forEach(h -> items.add(hit(h)));
        return new JsonObject().put("items", items);
    }

    /** {@code {"namespaces": [[...], ...]}} in the order given (path order). */
    public static JsonObject namespaces(List<Namespace> namespaces) {
        JsonArray out = new JsonArray();
        namespaces.forEach(n -> out.add(namespace(n)));
        return new JsonObject().put("namespaces", out);
    }

    public static JsonArray namespace(Namespace namespace) {
        return new JsonArray(new ArrayList<>(namespace.segments()));
    }

    /** {@code {"thread", "namespace", "fromVersion", "toVersion", "extractor", "model"}}: {@code namespace} is the thread's checkpoint namespace. */
    public static @Nullable JsonObject provenance(@Nullable Provenance p) {
        if (p == null) {
            return null;
        }
        return new JsonObject().put("thread", p.thread().threadId()).put("namespace", p.thread().namespace())
                .put("fromVersion", p.fromVersion()).put("toVersion", p.toVersion())
                .put("extractor", p.extractor()).put("model", p.model());
    }
}
