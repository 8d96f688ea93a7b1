package dev.engram.server.json;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.ThreadKey;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MemoryViewsTest {

    private static final Instant CREATED = Instant.parse("2026-01-02T03:04:05.123456Z");
    private static final Instant UPDATED = Instant.parse("2026-01-03T00:00:00Z");

    @Test
    void anExtractedItemShowsWhereItCameFrom() {
        Provenance provenance = new Provenance(new ThreadKey("acme", "chat-7", "planner"), 3, 8, "openai", "small-model");
        MemoryItem item = new MemoryItem(new MemoryKey("acme", Namespace.of("user-42", "facts"), "city"),
                Map.of("text", "lives in Lyon", "nested", Map.of("since", 2019L), "list", List.of("a", 1L)), MemoryItem.FACT, provenance,
                CREATED, UPDATED, UPDATED.plusSeconds(3600));

        JsonObject json = MemoryViews.item(item);

        assertThat(json.fieldNames()).containsExactlyInAnyOrder("namespace", "key", "value", "kind", "provenance", "createdAt", "updatedAt", "expiresAt");
        assertThat(json.getJsonArray("namespace")).isEqualTo(new JsonArray().add("user-42").add("facts"));
        assertThat(json.getString("key")).isEqualTo("city");
        assertThat(json.getJsonObject("value").getJsonObject("nested").getLong("since")).isEqualTo(2019L);
        assertThat(json.getJsonObject("value").getJsonArray("list")).isEqualTo(new JsonArray().add("a").add(1L));
        assertThat(json.getJsonObject("provenance").encode())
                .isEqualTo("{\"thread\":\"chat-7\",\"namespace\":\"planner\",\"fromVersion\":3,\"toVersion\":8,\"extractor\":\"openai\",\"model\":\"small-model\"}");
        assertThat(json.getString("createdAt")).as("ISO-8601, as precise as stored").isEqualTo("2026-01-02T03:04:05.123456Z");
        assertThat(json.getString("updatedAt")).isEqualTo("2026-01-03T00:00:00Z");
        assertThat(json.getString("expiresAt")).isEqualTo("2026-01-03T01:00:00Z");
        assertThat(json.encode()).as("the tenant is the caller's and never shown").doesNotContain("acme");
    }

    @Test
    void aHandPutItemHasNoProvenanceAndAHitCarriesItsScore() {
        MemoryItem item = new MemoryItem(new MemoryKey("acme", Namespace.of("u"), "k"), Map.of(), "summary", null, CREATED, CREATED, null);

        JsonObject ranked = MemoryViews.hit(new MemoryHit(item, 0.75));
        JsonObject unranked = MemoryViews.hit(new MemoryHit(item, null));

        assertThat(ranked.getValue("provenance")).isNull();
        assertThat(ranked.getValue("expiresAt")).isNull();
        assertThat(ranked.getString("kind")).isEqualTo("summary");
        assertThat(ranked.getDouble("score")).isEqualTo(0.75);
        assertThat(unranked.containsKey("score")).isTrue();
        assertThat(unranked.getValue("score")).isNull();
        assertThat(MemoryViews.hits(List.of(new MemoryHit(item, 0.75))).getJsonArray("items")).hasSize(1);
        assertThat(MemoryViews.namespaces(List.of(Namespace.of("a", "b"), Namespace.of("c"))).encode()).isEqualTo("{\"namespaces\":[[\"a\",\"b\"],[\"c\"]]}");
    }
}
