package dev.engram.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.server.auth.AuthOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The {@code /v1/memories} endpoints end to end over HTTP: shapes, ranking, paging, refusals and tenant isolation. */
class MemoryApiIT {

    private static final String KEY_NS = "key-of-tenant-ns-0123456789";
    private static final String KEY_BAD = "key-of-tenant-bad-0123456789";
    private static final List<String> ITEM_FIELDS = List.of("namespace", "key", "value", "kind", "provenance", "createdAt", "updatedAt", "expiresAt");

    private static TestServer server;

    @BeforeAll
    static void start() {
        server = TestServer.start(o -> o.setAuth(new AuthOptions().addApiKey(Tokens.KEY_A, "tenant-a").addApiKey(Tokens.KEY_B, "tenant-b")
                .addApiKey(KEY_NS, "tenant-ns").addApiKey(KEY_BAD, "tenant-bad")));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static HttpResponse<Buffer> call(String operation, String token, String body) {
        return server.send(HttpMethod.POST, "/v1/memories/" + operation, token, body);
    }

    private static JsonObject ok(String operation, String token, String body) {
        HttpResponse<Buffer> r = call(operation, token, body);
        assertThat(r.statusCode()).as(operation + " " + body + " -> " + r.bodyAsString()).isEqualTo(200);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
        return r.bodyAsJsonObject();
    }

    private static void assertError(HttpResponse<Buffer> r, int status, String code) {
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(status);
        assertThat(r.getHeader("Content-Type")).isEqualTo("application/json");
        JsonObject body = r.bodyAsJsonObject();
        assertThat(body.fieldNames()).containsExactlyInAnyOrder("error", "message");
        assertThat(body.getString("error")).isEqualTo(code);
        assertThat(body.getString("message")).isNotBlank();
    }

    private static List<String> keys(JsonObject searchAnswer) {
        return searchAnswer.getJsonArray("items").stream().map(i -> ((JsonObject) i).getString("key")).toList();
    }

    private static List<String> paths(JsonObject namespacesAnswer) {
        return namespacesAnswer.getJsonArray("namespaces").stream()
                .map(n -> ((JsonArray) n).stream().map(Object::toString).collect(Collectors.joining("/"))).toList();
    }

    @Test
    void putGetDeleteRoundTripInTheDocumentedShapes() {
        JsonObject put = ok("put", Tokens.KEY_A, """
                {"namespace": ["user-42", "facts"], "key": "lang", "value": {"text": "speaks French", "level": 3, "tags": ["a", "b"], "nested": {"x": 1.5}},
                 "kind": "fact", "ttlMinutes": 60}""");
        assertThat(put.fieldNames()).containsExactlyInAnyOrderElementsOf(ITEM_FIELDS);
        assertThat(put.getJsonArray("namespace")).isEqualTo(new JsonArray().add("user-42").add("facts"));
        assertThat(put.getString("key")).isEqualTo("lang");
        assertThat(put.getJsonObject("value")).isEqualTo(new JsonObject("{\"text\": \"speaks French\", \"level\": 3, \"tags\": [\"a\", \"b\"], \"nested\": {\"x\": 1.5}}"));
        assertThat(put.getString("kind")).isEqualTo("fact");
        assertThat(put.getValue("provenance")).as("put by hand: no provenance").isNull();
        Instant created = Instant.parse(put.getString("createdAt"));
        Instant updated = Instant.parse(put.getString("updatedAt"));
        Instant expires = Instant.parse(put.getString("expiresAt"));
        assertThat(updated).isEqualTo(created);
        assertThat(Duration.between(updated, expires)).as("ttlMinutes 60 from the write").isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));

        JsonObject got = ok("get", Tokens.KEY_A, "{\"namespace\": [\"user-42\", \"facts\"], \"key\": \"lang\"}");
        assertThat(got).isEqualTo(put);

        JsonObject again = ok("put", Tokens.KEY_A, "{\"namespace\": [\"user-42\", \"facts\"], \"key\": \"lang\", \"value\": {\"text\": \"speaks Italian\"}}");
        assertThat(again.getJsonObject("value")).as("an upsert replaces the value").isEqualTo(new JsonObject().put("text", "speaks Italian"));
        assertThat(again.getString("kind")).as("kind defaults to fact").isEqualTo("fact");
        assertThat(Instant.parse(again.getString("createdAt"))).as("creation time kept").isEqualTo(created);
        assertThat(Instant.parse(again.getString("updatedAt"))).isAfterOrEqualTo(updated);
        assertThat(ok("get", Tokens.KEY_A, "{\"namespace\": [\"user-42\", \"facts\"], \"key\": \"lang\"}").getJsonObject("value").getString("text"))
                .isEqualTo("speaks Italian");

        JsonObject summary = ok("put", Tokens.KEY_A, "{\"namespace\": [\"user-42\", \"summaries\"], \"key\": \"s-1\", \"value\": {\"text\": \"a chat\"}, \"kind\": \"summary\"}");
        assertThat(summary.getString("kind")).isEqualTo("summary");
        assertThat(summary.getValue("expiresAt")).as("no ttlMinutes, no configured ttl: never expires").isNull();

        assertThat(ok("delete", Tokens.KEY_A, "{\"namespace\": [\"user-42\", \"facts\"], \"key\": \"lang\"}")).isEqualTo(new JsonObject().put("deleted", true));
        assertThat(ok("delete", Tokens.KEY_A, "{\"namespace\": [\"user-42\", \"facts\"], \"key\": \"lang\"}")).isEqualTo(new JsonObject().put("deleted", false));
        assertError(call("get", Tokens.KEY_A, "{\"namespace\": [\"user-42\", \"facts\"], \"key\": \"lang\"}"), 404, "not_found");
    }

    @Test
    void getOfAnAbsentItemIs404() {
        assertError(call("get", Tokens.KEY_A, "{\"namespace\": [\"nobody\"], \"key\": \"nothing\"}"), 404, "not_found");
        assertThat(ok("delete", Tokens.KEY_A, "{\"namespace\": [\"nobody\"], \"key\": \"nothing\"}").getBoolean("deleted")).isFalse();
    }

    @Test
    void badInputIsRefusedWith400AndStoresNothing() {
        String[] badPuts = {
            "{\"namespace\": [\"bad seg\"], \"key\": \"k\", \"value\": {}}",
            "{\"namespace\": [\"ok\", \"a/b\"], \"key\": \"k\", \"value\": {}}",
            "{\"namespace\": [\"ok\", \"\"], \"key\": \"k\", \"value\": {}}",
            "{\"namespace\": [], \"key\": \"k\", \"value\": {}}",
            "{\"namespace\": [\"ok\"], \"key\": \"k 1\", \"value\": {}}",
            "{\"namespace\": [\"ok\"], \"key\": \"" + "k".repeat(257) + "\", \"value\": {}}",
            "{\"namespace\": [\"engram.marks\"], \"key\": \"k\", \"value\": {}}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"colour\": \"red\"}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"tenant\": \"tenant-a\"}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"provenance\": {}}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": \"a string\"}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": [1, 2]}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\"}",
            "{\"namespace\": \"ok\", \"key\": \"k\", \"value\": {}}",
            "{\"namespace\": [\"ok\", 7], \"key\": \"k\", \"value\": {}}",
            "{\"namespace\": [\"ok\"], \"key\": 7, \"value\": {}}",
            "{\"namespace\": [\"ok\"], \"value\": {}}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"kind\": 3}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"kind\": \"not a kind\"}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"ttlMinutes\": \"5\"}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"ttlMinutes\": 0}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"ttlMinutes\": -3}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"ttlMinutes\": 1.5}",
            "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}, \"ttlMinutes\": 99999999999999999999}",
            "{\"namespace\": [\"a\", \"b\", \"c\", \"d\", \"e\", \"f\", \"g\", \"h\", \"i\", \"j\", \"k\", \"l\", \"m\", \"n\", \"o\", \"p\", \"q\"], \"key\": \"k\", \"value\": {}}",
        };
        for (String body : badPuts) {
            assertError(call("put", KEY_BAD, body), 400, "invalid_input");
        }
        assertError(call("put", KEY_BAD, "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {"), 400, "invalid_json");
        assertError(call("put", KEY_BAD, "{\"namespace\": [\"ok\"], \"key\": \"k\", \"key\": \"k2\", \"value\": {}}"), 400, "invalid_json");
        assertError(call("put", KEY_BAD, "[]"), 400, "invalid_json");
        assertError(call("put", KEY_BAD, ""), 400, "invalid_json");
        assertError(server.send(HttpMethod.POST, "/v1/memories/put?tenant=tenant-a", KEY_BAD, "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}}"),
                400, "invalid_input");

        assertError(call("get", KEY_BAD, "{\"namespace\": [\"ok\"], \"key\": \"k\"}"), 404, "not_found");
        assertThat(ok("namespaces", KEY_BAD, "{}").getJsonArray("namespaces")).as("nothing at all was stored").isEmpty();
        assertThat(ok("search", KEY_BAD, "{}").getJsonArray("items")).isEmpty();

        assertError(call("get", KEY_BAD, "{\"namespace\": [\"ok\"], \"key\": \"k\", \"value\": {}}"), 400, "invalid_input");
        assertError(call("get", KEY_BAD, "{\"namespace\": [\"engram.marks\"], \"key\": \"k\"}"), 400, "invalid_input");
        assertError(call("get", KEY_BAD, "{\"namespace\": [\"ok\"]}"), 400, "invalid_input");
        assertError(call("delete", KEY_BAD, "{\"namespace\": [\"ok\"], \"key\": \"bad key\"}"), 400, "invalid_input");
        assertError(call("delete", KEY_BAD, "{\"namespace\": [\"engram.marks\"], \"key\": \"k\"}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"namespacePrefix\": [\"bad seg\"]}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"namespacePrefix\": [\"engram.marks\"]}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"namespace\": [\"ok\"]}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"limit\": 0}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"limit\": 1001}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"offset\": -1}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"limit\": \"ten\"}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"query\": 42}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"filter\": [\"level\"]}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"filter\": {\"level\": {\"$regex\": \"x\"}}}"), 400, "invalid_input");
        assertError(call("search", KEY_BAD, "{\"filter\": {\"level\": {\"$gt\": [1]}}}"), 400, "invalid_input");
        assertError(call("namespaces", KEY_BAD, "{\"maxDepth\": 0}"), 400, "invalid_input");
        assertError(call("namespaces", KEY_BAD, "{\"suffix\": [\"a b\"]}"), 400, "invalid_input");
        assertError(call("namespaces", KEY_BAD, "{\"prefix\": [\"engram.marks\"]}"), 400, "invalid_input");
        assertError(call("namespaces", KEY_BAD, "{\"prefix\": [], \"depth\": 2}"), 400, "invalid_input");
    }

    @Test
    void searchRanksBestFirstAndPagesWithLimitAndOffset() {
        String ns = "[\"user-s\", \"facts\"]";
        ok("put", Tokens.KEY_A, "{\"namespace\": " + ns + ", \"key\": \"tea\", \"value\": {\"text\": \"drinks green tea\", \"level\": 1, \"topic\": \"drink\"}}");
        ok("put", Tokens.KEY_A, "{\"namespace\": " + ns + ", \"key\": \"milk\", \"value\": {\"text\": \"tea with milk\", \"level\": 2, \"topic\": \"drink\"}}");
        ok("put", Tokens.KEY_A, "{\"namespace\": " + ns + ", \"key\": \"car\", \"value\": {\"text\": \"drives an old car\", \"level\": 3, \"topic\": \"travel\", \"meta\": {\"source\": \"chat\"}}}");
        ok("put", Tokens.KEY_A, "{\"namespace\": [\"user-s\", \"other\"], \"key\": \"far\", \"value\": {\"text\": \"green tea fields\", \"level\": 9}}");
        ok("put", Tokens.KEY_A, "{\"namespace\": [\"user-s\", \"summaries\"], \"key\": \"sum\", \"value\": {\"text\": \"talked about tea\"}, \"kind\": \"summary\"}");

        JsonObject ranked = ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"query\": \"green tea\", \"limit\": 10, \"offset\": 0}");
        assertThat(ranked.fieldNames()).containsExactly("items");
        List<String> order = keys(ranked);
        assertThat(order).as("both words first, one word next; only under the prefix").startsWith("tea", "milk").doesNotContain("far");
        JsonArray items = ranked.getJsonArray("items");
        JsonObject best = items.getJsonObject(0);
        assertThat(best.fieldNames()).containsExactlyInAnyOrderElementsOf(concat(ITEM_FIELDS, "score"));
        assertThat(best.getJsonArray("namespace")).isEqualTo(new JsonArray().add("user-s").add("facts"));
        assertThat(best.getJsonObject("value").getString("text")).isEqualTo("drinks green tea");
        assertThat(best.getString("kind")).isEqualTo("fact");
        assertThat(Instant.parse(best.getString("createdAt"))).isNotNull();
        assertThat(best.getDouble("score")).isGreaterThan(items.getJsonObject(1).getDouble("score"));

        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"query\": \"green tea\", \"limit\": 1}"))).containsExactly("tea");
        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"query\": \"green tea\", \"limit\": 1, \"offset\": 1}")))
                .containsExactly("milk");
        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": [\"user-s\"], \"query\": \"green tea\", \"limit\": 10}")))
                .as("a shorter prefix reaches the other namespace too").contains("tea", "milk", "far");

        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"filter\": {\"topic\": \"drink\"}}")))
                .containsExactlyInAnyOrder("tea", "milk");
        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"filter\": {\"level\": {\"$gte\": 2}}}")))
                .containsExactlyInAnyOrder("milk", "car");
        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"query\": \"tea\", \"filter\": {\"level\": {\"$gt\": 1, \"$lt\": 3}}}")))
                .containsExactly("milk");
        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"filter\": {\"meta.source\": \"chat\", \"level\": {\"$ne\": 1}}}")))
                .as("a dotted name reaches into nested objects").containsExactly("car");

        assertThat(keys(ok("search", Tokens.KEY_A, "{\"namespacePrefix\": [\"user-s\"], \"query\": \"tea\", \"kind\": \"summary\"}")))
                .containsExactly("sum");

        JsonObject unranked = ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + "}");
        assertThat(keys(unranked)).containsExactlyInAnyOrder("car", "milk", "tea");
        List<Instant> updated = unranked.getJsonArray("items").stream().map(i -> Instant.parse(((JsonObject) i).getString("updatedAt"))).toList();
        assertThat(updated).as("no query: newest first").isSortedAccordingTo(java.util.Comparator.reverseOrder());
        assertThat(unranked.getJsonArray("items").getJsonObject(0).getValue("score")).as("no query, no score").isNull();
        assertThat(unranked.getJsonArray("items").getJsonObject(0).fieldNames()).contains("score");
        JsonObject blank = ok("search", Tokens.KEY_A, "{\"namespacePrefix\": " + ns + ", \"query\": \"  \"}");
        assertThat(blank.getJsonArray("items").getJsonObject(0).getValue("score")).as("a blank query ranks nothing").isNull();
        assertThat(keys(blank)).containsExactlyInAnyOrder("car", "milk", "tea");
    }

    @Test
    void namespacesAreListedByPrefixSuffixDepthAndPage() {
        for (String ns : List.of("[\"u1\", \"facts\"]", "[\"u1\", \"prefs\"]", "[\"u2\", \"facts\"]", "[\"u2\", \"facts\", \"old\"]")) {
            ok("put", KEY_NS, "{\"namespace\": " + ns + ", \"key\": \"k\", \"value\": {\"n\": 1}}");
        }
        ok("put", KEY_NS, "{\"namespace\": [\"u1\", \"facts\"], \"key\": \"k2\", \"value\": {\"n\": 2}}");

        JsonObject all = ok("namespaces", KEY_NS, "{}");
        assertThat(all.fieldNames()).containsExactly("namespaces");
        assertThat(all.getJsonArray("namespaces").getJsonArray(0)).isEqualTo(new JsonArray().add("u1").add("facts"));
        assertThat(paths(all)).containsExactly("u1/facts", "u1/prefs", "u2/facts", "u2/facts/old");
        assertThat(paths(ok("namespaces", KEY_NS, "{\"prefix\": [\"u2\"]}"))).containsExactly("u2/facts", "u2/facts/old");
        assertThat(paths(ok("namespaces", KEY_NS, "{\"suffix\": [\"facts\"]}"))).containsExactly("u1/facts", "u2/facts");
        assertThat(paths(ok("namespaces", KEY_NS, "{\"maxDepth\": 1}"))).containsExactly("u1", "u2");
        assertThat(paths(ok("namespaces", KEY_NS, "{\"prefix\": [\"u2\"], \"maxDepth\": 2}"))).containsExactly("u2/facts");
        assertThat(paths(ok("namespaces", KEY_NS, "{\"limit\": 2, \"offset\": 1}"))).containsExactly("u1/prefs", "u2/facts");
        assertThat(paths(ok("namespaces", KEY_NS, "{\"prefix\": [\"u1\"], \"suffix\": [\"prefs\"], \"maxDepth\": 5, \"limit\": 10, \"offset\": 0}")))
                .containsExactly("u1/prefs");
        assertThat(paths(ok("namespaces", KEY_NS, "{\"offset\": 10}"))).isEmpty();
    }

    @Test
    void tenantsNeitherSeeNorTouchEachOthersItems() {
        String item = "{\"namespace\": [\"shared\"], \"key\": \"secret\"}";
        ok("put", Tokens.KEY_A, "{\"namespace\": [\"shared\"], \"key\": \"secret\", \"value\": {\"text\": \"a's secret\"}}");

        assertError(call("get", Tokens.KEY_B, item), 404, "not_found");
        assertThat(ok("search", Tokens.KEY_B, "{\"namespacePrefix\": [\"shared\"], \"query\": \"secret\"}").getJsonArray("items")).isEmpty();
        assertThat(paths(ok("namespaces", Tokens.KEY_B, "{}"))).doesNotContain("shared");
        assertThat(ok("delete", Tokens.KEY_B, item).getBoolean("deleted")).isFalse();
        ok("put", Tokens.KEY_B, "{\"namespace\": [\"shared\"], \"key\": \"secret\", \"value\": {\"text\": \"b's own\"}}");

        assertThat(ok("get", Tokens.KEY_A, item).getJsonObject("value").getString("text")).as("b's delete and put left a's item alone").isEqualTo("a's secret");
        assertThat(ok("get", Tokens.KEY_B, item).getJsonObject("value").getString("text")).isEqualTo("b's own");
        assertThat(paths(ok("namespaces", Tokens.KEY_A, "{\"prefix\": [\"shared\"]}"))).containsExactly("shared");

        assertError(call("get", null, item), 401, "unauthorized");
        assertError(call("put", "not-a-key-at-all-0000", "{\"namespace\": [\"shared\"], \"key\": \"secret\", \"value\": {}}"), 401, "unauthorized");
        assertThat(ok("get", Tokens.KEY_A, item).getJsonObject("value").getString("text")).isEqualTo("a's secret");
        assertError(server.send(HttpMethod.GET, "/v1/memories/get", Tokens.KEY_A, null), 405, "method_not_allowed");
    }

    private static List<String> concat(List<String> list, String more) {
        return java.util.stream.Stream.concat(list.stream(), java.util.stream.Stream.of(more)).toList();
    }
}
