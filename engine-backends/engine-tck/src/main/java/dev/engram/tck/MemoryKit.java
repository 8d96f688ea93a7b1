package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.Engram;
import dev.engram.core.InvalidInputException;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.NamespaceQuery;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.MemoryRecord;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The memory store ({@code engram.memories()}) over the backend's memory storage: round trips, upserts, validation,
 * isolation by tenant and namespace prefix, filters, lexical and embedded ranking, paging, recall caps, TTL and
 * namespace listings. Test names say "memory" so they never clash with the thread kits'. TTLs are short and real (remote backends expire by their own clock); tests poll with a bound.
 */
public interface MemoryKit extends EngramKit {

    /** A TTL short enough to wait out in a test. */
    Duration BRIEF_TTL = Duration.ofMillis(300);
    /** Time between writes whose order a test asserts, so their millisecond timestamps differ. */
    Duration SPACING = Duration.ofMillis(3);

    /** Stores {@code writes} one after the other, {@link #SPACING} apart; returns what was stored. */
    static List<MemoryItem> putAll(MemoryStore store, List<MemoryWrite> writes) {
        return Flux.fromIterable(writes).concatMap(w -> store.put(w).delayElement(SPACING)).collectList().block(TIMEOUT);
    }

    static MemoryItem put(MemoryStore store, MemoryWrite write) {
        return store.put(write).block(TIMEOUT);
    }

    static MemoryWrite fact(String tenant, Namespace ns, String key, Map<String, ?> value) {
        return MemoryWrite.of(new MemoryKey(tenant, ns, key), value);
    }

    static List<String> keys(List<MemoryHit> hits) {
        return hits.stream().map(h -> h.item().key().key()).toList();
    }

    static List<String> search(MemoryStore store, MemorySearch search) {
        return keys(store.search(search).block(TIMEOUT));
    }

    @Test
    default void aMemoryItemRoundTripsWithItsKindAndProvenanceAndIsDeleted(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        MemoryKey key = new MemoryKey(tenant, Namespace.of("user-42", "facts"), "home.city");
        Provenance from = new Provenance(new ThreadKey(tenant, "chat-7", "planner"), 3, 9, "openai", "gpt-4o-mini");
        Map<String, Object> value = Map.of("text", "lives in Lyon", "confidence", 0.9, "since", 2019L,
                "tags", List.of("home", "city"), "address", Map.of("city", "Lyon", "zip", "69001"));
        Instant before = Instant.now().minusSeconds(5);
        MemoryItem stored = put(store, new MemoryWrite(key, value, "preference", null, from));

        assertThat(stored.key()).isEqualTo(key);
        assertThat(stored.value()).isEqualTo(value);
        assertThat(stored.kind()).isEqualTo("preference");
        assertThat(stored.provenance()).isEqualTo(from);
        assertThat(stored.createdAt()).isEqualTo(stored.updatedAt()).isAfter(before);
        assertThat(stored.expiresAt()).as("no TTL configured, none given").isNull();
        store.get(key).as(StepVerifier::create).expectNext(stored).as("get returns the item as put emitted it").verifyComplete();

        store.delete(key).as(StepVerifier::create).expectNext(true).verifyComplete();
        store.get(key).as(StepVerifier::create).as("gone").verifyComplete();
        store.delete(key).as(StepVerifier::create).expectNext(false).as("nothing left to delete").verifyComplete();
        assertThat(search(store, MemorySearch.under(tenant, Namespace.ROOT))).isEmpty();
    }

    @Test
    default void aMemoryUpsertKeepsCreatedAtAndMovesUpdatedAt(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1");
        List<MemoryItem> items = putAll(store, List.of(fact(tenant, ns, "city", Map.of("text", "Lyon")),
                fact(tenant, ns, "city", Map.of("text", "Paris")).kind("moved")));
        MemoryItem first = items.get(0);
        MemoryItem second = items.get(1);

        assertThat(second.createdAt()).as("created when first put").isEqualTo(first.createdAt());
        assertThat(second.updatedAt()).as("updated by the second put").isAfter(first.updatedAt());
        store.get(first.key()).as(StepVerifier::create).expectNext(second).verifyComplete();
        assertThat(search(store, MemorySearch.under(tenant, ns))).as("one item, not two").containsExactly("city");
    }

    @Test
    default void badMemoryInputFailsBeforeAnythingIsStored(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1");

        assertThatThrownBy(() -> Namespace.of("user 1")).as("a space").isInstanceOf(InvalidInputException.class).hasMessageContaining("namespace[0]");
        assertThatThrownBy(() -> Namespace.of("a", "b/c")).as("a slash").isInstanceOf(InvalidInputException.class).hasMessageContaining("namespace[1]");
        assertThatThrownBy(() -> Namespace.of("x".repeat(257))).as("too long").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> new MemoryKey(tenant, Namespace.ROOT, "k")).as("no namespace").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> new MemoryKey(tenant, ns, "a*b")).as("bad key").isInstanceOf(InvalidInputException.class).hasMessageContaining("key");
        assertThatThrownBy(() -> new MemoryKey("bad tenant", ns, "k")).as("bad tenant").isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> fact(tenant, ns, "k", Map.of("v", new Object()))).as("not a JSON value")
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("value.v");

        Namespace reserved = Namespace.of("engram.extraction", "marks");
        store.put(fact(tenant, reserved, "k", Map.of("v", 1))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("reserved"))
                .verify(TIMEOUT);
        store.get(new MemoryKey(tenant, reserved, "k")).as(StepVerifier::create).expectError(InvalidInputException.class).verify(TIMEOUT);
        store.search(MemorySearch.under(tenant, reserved)).as(StepVerifier::create).expectError(InvalidInputException.class).verify(TIMEOUT);
        store.namespaces(NamespaceQuery.of(tenant).prefix(reserved)).as(StepVerifier::create).expectError(InvalidInputException.class)
                .verify(TIMEOUT);
        store.put(fact(tenant, ns, "k", Map.of("text", "half a pair \uD800"))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("value.text"))
                .verify(TIMEOUT);

        put(store, fact(tenant, ns, "kept", Map.of("age", 3)));
        store.search(MemorySearch.under(tenant, ns).filter(Map.of("age", Map.of("$near", 3)))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("$near"))
                .verify(TIMEOUT);
        store.search(MemorySearch.under(tenant, ns).filter(Map.of("age", Map.of("$gt", true)))).as(StepVerifier::create)
                .expectError(InvalidInputException.class).verify(TIMEOUT);
        store.search(MemorySearch.under(tenant, ns).filter(Map.of("age", Map.of("$gt", 1, "other", 2)))).as(StepVerifier::create)
                .expectError(InvalidInputException.class).verify(TIMEOUT);

        assertThat(search(store, MemorySearch.under(tenant, Namespace.ROOT).limit(50))).as("only the valid item was stored")
                .containsExactly("kept");
        store.namespaces(NamespaceQuery.of(tenant)).as(StepVerifier::create).expectNext(List.of(ns)).verifyComplete();
    }

    @Test
    default void memoryTenantsAndNamespacePrefixesIsolate(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String a = fixture.newTenant();
        String b = fixture.newTenant();
        putAll(store, List.of(
                fact(a, Namespace.of("u1"), "top", Map.of("text", "x")),
                fact(a, Namespace.of("u1", "facts"), "deep", Map.of("text", "x")),
                fact(a, Namespace.of("u10"), "longer", Map.of("text", "x")),
                fact(a, Namespace.of("u1-b"), "dashed", Map.of("text", "x")),
                fact(a, Namespace.of("u1.b"), "dotted", Map.of("text", "x")),
                fact(b, Namespace.of("u1"), "other", Map.of("text", "x"))));

        assertThat(search(store, MemorySearch.under(a, Namespace.of("u1")))).as("[u1] matches whole segments only")
                .containsExactlyInAnyOrder("top", "deep");
        assertThat(search(store, MemorySearch.under(a, Namespace.of("u1", "facts")))).containsExactly("deep");
        assertThat(search(store, MemorySearch.under(a, Namespace.of("u10")))).containsExactly("longer");
        assertThat(search(store, MemorySearch.under(a, Namespace.of("u1-b")))).containsExactly("dashed");
        assertThat(search(store, MemorySearch.under(a, Namespace.ROOT))).hasSize(5);
        assertThat(search(store, MemorySearch.under(b, Namespace.ROOT))).as("the other tenant").containsExactly("other");
        store.get(new MemoryKey(b, Namespace.of("u1"), "top")).as(StepVerifier::create).as("not across tenants").verifyComplete();
        store.delete(new MemoryKey(b, Namespace.of("u1"), "top")).as(StepVerifier::create).expectNext(false).verifyComplete();
        assertThat(search(store, MemorySearch.under(a, Namespace.of("u1")))).hasSize(2);
    }

    @Test
    default void memoryFiltersSelectByEqualityComparisonsAndNestedFields(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("people");
        putAll(store, List.of(
                fact(tenant, ns, "ada", Map.of("name", "ada", "age", 36, "score", 9.5, "address", Map.of("city", "London"))),
                fact(tenant, ns, "alan", Map.of("name", "alan", "age", 41, "score", 7.25, "address", Map.of("city", "Wilmslow"))),
                fact(tenant, ns, "grace", Map.of("name", "grace", "age", 85, "score", 10L, "address", Map.of("city", "Arlington"))),
                fact(tenant, ns, "kid", Map.of("name", "kid", "score", 1))));
        MemorySearch all = MemorySearch.under(tenant, ns).limit(10);

        assertThat(search(store, all.filter(Map.of("name", "ada")))).as("equality").containsExactly("ada");
        assertThat(search(store, all.filter(Map.of("age", 41.0)))).as("a number equals whatever its type").containsExactly("alan");
        assertThat(search(store, all.filter(Map.of("age", Map.of("$gt", 36))))).as("$gt").containsExactlyInAnyOrder("alan", "grace");
        assertThat(search(store, all.filter(Map.of("age", Map.of("$gte", 36, "$lt", 85))))).as("a range").containsExactlyInAnyOrder("ada", "alan");
        assertThat(search(store, all.filter(Map.of("age", Map.of("$lte", 40.5))))).as("long against double").containsExactly("ada");
        assertThat(search(store, all.filter(Map.of("score", Map.of("$gt", new java.math.BigDecimal("9.75")))))).as("double and long against BigDecimal")
                .containsExactly("grace");
        assertThat(search(store, all.filter(Map.of("age", Map.of("$ne", 36))))).as("$ne, also where the field is missing")
                .containsExactlyInAnyOrder("alan", "grace", "kid");
        assertThat(search(store, all.filter(Map.of("address.city", "London")))).as("a dotted path").containsExactly("ada");
        assertThat(search(store, all.filter(Map.of("address.city", Map.of("$lt", "M"))))).as("strings compare lexicographically")
                .containsExactlyInAnyOrder("ada", "grace");
        assertThat(search(store, all.filter(Map.of("address", Map.of("city", "Wilmslow"))))).as("a whole object").containsExactly("alan");
        assertThat(search(store, all.filter(Map.of("name", Map.of("$gt", 3))))).as("a string is not greater than a number").isEmpty();
        assertThat(search(store, all.filter(Map.of("age", Map.of("$eq", 85), "name", "grace")))).as("all conditions hold").containsExactly("grace");
    }

    @Test
    default void lexicalMemoryRankingPutsTheRelevantItemFirst(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1", "facts");
        putAll(store, List.of(
                fact(tenant, ns, "pet", Map.of("text", "The user has a dog named Rex")),
                fact(tenant, ns, "food", Map.of("text", "The user likes sushi, and the user likes ramen")),
                fact(tenant, ns, "job", Map.of("text", "The user works night shifts as a nurse")),
                fact(tenant, ns, "sibling", Map.of("text", "The user's sister Ada lives in Oslo"))));

        List<MemoryHit> hits = store.search(MemorySearch.under(tenant, ns).query("What is the name of my DOG?")).block(TIMEOUT);
        assertThat(keys(hits)).first().isEqualTo("pet");
        assertThat(hits).allSatisfy(h -> assertThat(h.score()).isPositive());
        assertThat(hits.get(0).score()).isGreaterThan(hits.get(hits.size() - 1).score());
        assertThat(search(store, MemorySearch.under(tenant, ns).query("sushi ramen"))).as("items sharing no word are left out")
                .containsExactly("food");
        assertThat(search(store, MemorySearch.under(tenant, ns).query("nurse").filter(Map.of("text", Map.of("$ne", "x")))))
                .as("a query and a filter together").containsExactly("job");
    }

    @Test
    default void anEmbedderRanksMemoriesByMeaningAndItsVectorsAreStored(EngramFixture fixture) {
        Engram engram = fixture.open(UnaryOperator.identity(), b -> b.embedder(new WordHashEmbedder(Map.of("puppy", "dog"))));
        MemoryStore store = engram.memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1", "facts");
        putAll(store, List.of(
                fact(tenant, ns, "pet", Map.of("text", "owns a dog")),
                fact(tenant, ns, "food", Map.of("text", "likes sushi")),
                fact(tenant, ns, "job", Map.of("text", "works nights"))));

        List<MemoryHit> hits = store.search(MemorySearch.under(tenant, ns).query("puppy")).block(TIMEOUT);
        assertThat(keys(hits)).as("no word in common, the same meaning").first().isEqualTo("pet");
        assertThat(hits.get(0).score()).isCloseTo(1 / Math.sqrt(3), org.assertj.core.data.Offset.offset(1e-3));
        assertThat(hits.get(1).score()).isCloseTo(0, org.assertj.core.data.Offset.offset(1e-3));

        MemoryRecord record = engram.backend().memories().get(new MemoryKey(tenant, ns, "pet"), Instant.now()).block(TIMEOUT);
        float[] v = record.vector();
        assertThat(v).as("the backend stores the vector with the item").hasSize(WordHashEmbedder.DIMENSIONS);
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        assertThat(norm).as("of unit length").isCloseTo(1, org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    default void memorySearchLimitAndOffsetPageThroughTheNewestFirst(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1");
        List<MemoryWrite> writes = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            writes.add(fact(tenant, ns, "k" + i, Map.of("n", i)));
        }
        putAll(store, writes);
        MemorySearch s = MemorySearch.under(tenant, ns).limit(2);

        assertThat(search(store, s)).containsExactly("k4", "k3");
        assertThat(search(store, s.offset(2))).containsExactly("k2", "k1");
        assertThat(search(store, s.offset(4))).containsExactly("k0");
        assertThat(search(store, s.offset(5))).isEmpty();
        assertThat(store.search(s).block(TIMEOUT)).as("no query, no score").allSatisfy(h -> assertThat(h.score()).isNull());
    }

    @Test
    default void memoryRecallIsCappedByMaxMemoriesAndMaxSummaries(EngramFixture fixture) {
        MemoryStore store = fixture.open(c -> c.withMemory(c.memory().withCaps(4, 2))).memories();
        String tenant = fixture.newTenant();
        Namespace ns = Namespace.of("user-1");
        List<MemoryWrite> writes = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            writes.add(fact(tenant, ns, "s" + i, Map.of("text", "summary about cats " + i)).kind(MemoryItem.SUMMARY));
            writes.add(fact(tenant, ns, "f" + i, Map.of("text", "fact about cats " + i)));
        }
        putAll(store, writes);

        List<MemoryHit> hits = store.search(MemorySearch.under(tenant, ns).limit(50)).block(TIMEOUT);
        assertThat(keys(hits)).as("limit 50 capped at maxMemories 4, of which at most 2 summaries").containsExactly("f2", "s2", "f1", "s1");
        assertThat(keys(store.search(MemorySearch.under(tenant, ns).query("cats").limit(50)).block(TIMEOUT)))
                .hasSize(4).filteredOn(k -> k.startsWith("s")).hasSize(2);
        assertThat(search(store, MemorySearch.under(tenant, ns).kind(MemoryItem.SUMMARY).limit(50).offset(2)))
                .as("paging does not bring back the summaries past the cap").isEmpty();
    }

    @Test
    default void expiredMemoryItemsAreNeverReturned(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        MemoryKey brief = new MemoryKey(tenant, Namespace.of("user-1", "brief"), "k");
        MemoryKey kept = new MemoryKey(tenant, Namespace.of("user-1", "kept"), "k");
        put(store, MemoryWrite.of(kept, Map.of("text", "stays")));
        Instant before = Instant.now();
        MemoryItem item = put(store, MemoryWrite.of(brief, Map.of("text", "goes")).ttl(BRIEF_TTL));
        assertThat(item.expiresAt()).isAfter(before).isBefore(before.plus(BRIEF_TTL).plusSeconds(5));

        Kits.eventually(store.get(brief).hasElement(), exists -> !exists, TtlKit.EXPIRY_BOUND, "the item expires").as(StepVerifier::create)
                .expectNext(false).verifyComplete();
        assertThat(search(store, MemorySearch.under(tenant, Namespace.ROOT))).as("not searched").containsExactly("k");
        assertThat(store.search(MemorySearch.under(tenant, Namespace.ROOT).query("goes")).block(TIMEOUT)).as("not ranked").isEmpty();
        store.namespaces(NamespaceQuery.of(tenant)).as(StepVerifier::create).expectNext(List.of(kept.namespace()))
                .as("its namespace is not listed").verifyComplete();
        store.delete(brief).as(StepVerifier::create).expectNext(false).as("not there to delete").verifyComplete();
        MemoryItem again = put(store, MemoryWrite.of(brief, Map.of("text", "back")));
        assertThat(again.createdAt()).as("written again, it is a new item, not the expired one's update").isAfter(item.createdAt());
    }

    @Test
    default void eachMemoryWriteRefreshesItsTtl(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        MemoryKey key = new MemoryKey(fixture.newTenant(), Namespace.of("user-1"), "k");
        MemoryWrite write = MemoryWrite.of(key, Map.of("text", "x")).ttl(Duration.ofMillis(1000));
        put(store, write);
        // six writes 250 ms apart span 1.5 s, past the TTL: each finds the item alive (each pause follows the last
        // write's answer, so a slow answer on a loaded machine shifts the next write instead of overflowing a timer)
        Flux.range(0, 6)
                .concatMap(i -> Mono.delay(Duration.ofMillis(250)).then(store.get(key).hasElement())
                        .flatMap(alive -> store.put(write).thenReturn(alive)))
                .as(StepVerifier::create)
                .expectNext(true, true, true, true, true, true).as("writes within the TTL keep the item alive")
                .expectComplete()
                .verify(TIMEOUT);
        Kits.eventually(store.get(key).hasElement(), exists -> !exists, TtlKit.EXPIRY_BOUND, "the item expires once writes stop")
                .as(StepVerifier::create).expectNext(false).verifyComplete();
    }

    @Test
    default void memoryReadsRefreshTheTtlWhenConfigured(EngramFixture fixture) {
        UnaryOperator<MemorySettings> ttl = m -> m.withTtl(Duration.ofMillis(1000), true);
        Engram engram = fixture.open(c -> c.withMemory(ttl.apply(c.memory())));
        MemoryStore store = engram.memories();
        String tenant = fixture.newTenant();
        MemoryKey byGet = new MemoryKey(tenant, Namespace.of("user-1"), "get");
        MemoryKey bySearch = new MemoryKey(tenant, Namespace.of("user-2"), "search");
        MemoryItem item = put(store, MemoryWrite.of(byGet, Map.of("text", "x")));
        put(store, MemoryWrite.of(bySearch, Map.of("text", "y")));
        assertThat(item.expiresAt()).as("memory.ttl applies to a write without its own").isNotNull();

        Flux.range(0, 6)
                .concatMap(i -> Mono.delay(Duration.ofMillis(250)).then(store.get(byGet).hasElement())
                        .zipWith(store.search(MemorySearch.under(tenant, bySearch.namespace())).map(List::size)))
                .map(t -> t.getT1() && t.getT2() == 1)
                .as(StepVerifier::create)
                .expectNext(true, true, true, true, true, true).as("reads within the TTL keep both items alive")
                .expectComplete()
                .verify(TIMEOUT);
        // probed below the store, since every read through it would keep the item alive
        Kits.eventually(Mono.defer(() -> engram.backend().memories().get(byGet, Instant.now()).hasElement()), exists -> !exists,
                TtlKit.EXPIRY_BOUND, "the item expires once reads stop").as(StepVerifier::create).expectNext(false).verifyComplete();
        store.get(byGet).as(StepVerifier::create).verifyComplete();
    }

    @Test
    default void memoryNamespacesAreListedByPrefixSuffixAndDepthInPathOrder(EngramFixture fixture) {
        MemoryStore store = fixture.open().memories();
        String tenant = fixture.newTenant();
        List<Namespace> all = List.of(Namespace.of("u1", "facts"), Namespace.of("u1", "facts", "work"), Namespace.of("u1", "prefs"),
                Namespace.of("u10", "facts"), Namespace.of("u2", "facts"), Namespace.of("u1"));
        List<MemoryWrite> writes = new ArrayList<>();
        for (Namespace ns : all) {
            writes.add(fact(tenant, ns, "a", Map.of("v", 1)));
            writes.add(fact(tenant, ns, "b", Map.of("v", 2)));
        }
        putAll(store, writes);
        NamespaceQuery q = NamespaceQuery.of(tenant);

        assertThat(store.namespaces(q).block(TIMEOUT)).as("all, each once, in path order").containsExactly(Namespace.of("u1"),
                Namespace.of("u1", "facts"), Namespace.of("u1", "facts", "work"), Namespace.of("u1", "prefs"),
                Namespace.of("u10", "facts"), Namespace.of("u2", "facts"));
        assertThat(store.namespaces(q.prefix(Namespace.of("u1"))).block(TIMEOUT)).as("prefix [u1], not [u10]").containsExactly(
                Namespace.of("u1"), Namespace.of("u1", "facts"), Namespace.of("u1", "facts", "work"), Namespace.of("u1", "prefs"));
        assertThat(store.namespaces(q.suffix(Namespace.of("facts"))).block(TIMEOUT)).as("suffix").containsExactly(
                Namespace.of("u1", "facts"), Namespace.of("u10", "facts"), Namespace.of("u2", "facts"));
        assertThat(store.namespaces(q.maxDepth(1)).block(TIMEOUT)).as("cut to depth 1").containsExactly(
                Namespace.of("u1"), Namespace.of("u10"), Namespace.of("u2"));
        assertThat(store.namespaces(q.prefix(Namespace.of("u1")).maxDepth(2)).block(TIMEOUT)).containsExactly(
                Namespace.of("u1"), Namespace.of("u1", "facts"), Namespace.of("u1", "prefs"));
        assertThat(store.namespaces(q.limit(2).offset(3)).block(TIMEOUT)).as("paged").containsExactly(
                Namespace.of("u1", "prefs"), Namespace.of("u10", "facts"));
        assertThat(store.namespaces(NamespaceQuery.of(fixture.newTenant())).block(TIMEOUT)).as("another tenant has none").isEmpty();
    }
}
