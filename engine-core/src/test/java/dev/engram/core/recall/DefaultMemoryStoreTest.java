package dev.engram.core.recall;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.InvalidInputException;
import dev.engram.core.config.MemorySettings;
import dev.engram.core.config.ProviderOptions;
import dev.engram.core.inmemory.InMemoryProvider;
import dev.engram.core.memory.MemoryHit;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.MemorySearch;
import dev.engram.core.memory.MemoryStore;
import dev.engram.core.memory.MemoryWrite;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.NamespaceQuery;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import dev.engram.core.PayloadTooLargeException;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The engine-side store over the in-process storage, with a clock moved by hand. */
class DefaultMemoryStoreTest {

    private static final Namespace FACTS = Namespace.of("user-1", "facts");
    private static final Duration WAIT = Duration.ofSeconds(10);

    private final ManualClock clock = new ManualClock();
    private final MemoryStorage storage = new InMemoryProvider()
            .create(new BackendContext(ProviderOptions.empty("memory"), clock)).memories();

    private DefaultMemoryStore store(MemorySettings settings, @Nullable WordHashEmbedder embedder) {
        return new DefaultMemoryStore(storage, settings, clock, embedder);
    }

    private DefaultMemoryStore store() {
        return store(MemorySettings.defaults(), null);
    }

    private static MemoryItem put(MemoryStore store, MemoryWrite write) {
        return store.put(write).block(WAIT);
    }

    private static MemoryWrite fact(Namespace ns, String key, Map<String, ?> value) {
        return MemoryWrite.of(MemoryKey.of(ns, key), value);
    }

    private static List<String> keys(List<MemoryHit> hits) {
        return hits.stream().map(h -> h.item().key().key()).toList();
    }

    @Test
    void an_upsert_keeps_createdAt_and_moves_updatedAt() {
        DefaultMemoryStore store = store();
        MemoryItem first = put(store, fact(FACTS, "city", Map.of("text", "lives in Lyon")));
        clock.advance(Duration.ofSeconds(5));
        MemoryItem second = put(store, fact(FACTS, "city", Map.of("text", "lives in Paris")));

        assertThat(second.createdAt()).isEqualTo(first.createdAt());
        assertThat(second.updatedAt()).isEqualTo(first.updatedAt().plusSeconds(5));
        store.get(MemoryKey.of(FACTS, "city")).as(StepVerifier::create).expectNext(second).verifyComplete();
    }

    @Test
    void an_item_over_maxItemBytes_is_refused_and_nothing_is_stored() {
        DefaultMemoryStore store = store(MemorySettings.defaults().withMaxItemBytes(1024), null);
        MemoryKey key = MemoryKey.of(FACTS, "essay");
        store.put(MemoryWrite.of(key, Map.of("text", "x".repeat(2000)))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(PayloadTooLargeException.class)
                        .hasMessageContaining("memory item").hasMessageContaining("over the limit of 1024 bytes"))
                .verify(WAIT);
        store.get(key).as(StepVerifier::create).as("nothing stored").verifyComplete();
        assertThat(put(store, MemoryWrite.of(key, Map.of("text", "x".repeat(500))))).as("a smaller one is").isNotNull();
    }

    @Test
    void reserved_namespaces_are_refused_in_public_and_open_to_the_engine() {
        DefaultMemoryStore store = store();
        Namespace marks = Namespace.of("engram.extraction", "marks");
        store.put(fact(marks, "t1", Map.of("upTo", 3))).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(InvalidInputException.class).hasMessageContaining("reserved"))
                .verify(WAIT);
        store.search(MemorySearch.under(marks)).as(StepVerifier::create).expectError(InvalidInputException.class).verify(WAIT);

        put(store.engineAccess(), fact(marks, "t1", Map.of("upTo", 3)));
        put(store, fact(FACTS, "a", Map.of("text", "x")));
        store.engineAccess().get(MemoryKey.of(marks, "t1")).map(i -> i.value().get("upTo")).as(StepVerifier::create)
                .expectNext(3L).verifyComplete();
        store.namespaces(NamespaceQuery.all()).as(StepVerifier::create).expectNext(List.of(FACTS))
                .as("the public listing of the whole tenant hides the engine's namespaces").verifyComplete();
        store.engineAccess().namespaces(NamespaceQuery.all()).as(StepVerifier::create).expectNext(List.of(marks, FACTS)).verifyComplete();
        assertThat(keys(store.search(MemorySearch.under(Namespace.ROOT)).block(WAIT))).containsExactly("a");
    }

    @Test
    void without_a_query_the_newest_come_first_with_no_score_and_paging_is_stable() {
        DefaultMemoryStore store = store();
        for (int i = 0; i < 5; i++) {
            put(store, fact(FACTS, "k" + i, Map.of("n", i)));
            clock.advance(Duration.ofMillis(10));
        }
        List<MemoryHit> page1 = store.search(MemorySearch.under(FACTS).limit(2)).block(WAIT);
        List<MemoryHit> page2 = store.search(MemorySearch.under(FACTS).limit(2).offset(2)).block(WAIT);
        List<MemoryHit> page3 = store.search(MemorySearch.under(FACTS).limit(2).offset(4)).block(WAIT);

        assertThat(keys(page1)).containsExactly("k4", "k3");
        assertThat(keys(page2)).containsExactly("k2", "k1");
        assertThat(keys(page3)).containsExactly("k0");
        assertThat(page1).allSatisfy(h -> assertThat(h.score()).isNull());
    }

    @Test
    void caps_hold_for_memories_and_summaries() {
        DefaultMemoryStore store = store(MemorySettings.defaults().withCaps(4, 2), null);
        for (int i = 0; i < 5; i++) {
            put(store, fact(FACTS, "s" + i, Map.of("text", "summary " + i)).kind(MemoryItem.SUMMARY));
            put(store, fact(FACTS, "f" + i, Map.of("text", "fact " + i)));
            clock.advance(Duration.ofMillis(10));
        }
        List<MemoryHit> hits = store.search(MemorySearch.under(FACTS).limit(50)).block(WAIT);
        assertThat(keys(hits)).as("limit 50 is capped at maxMemories 4, and at most 2 summaries, the newest")
                .containsExactly("f4", "s4", "f3", "s3");

        List<MemoryHit> summaries = store.search(MemorySearch.under(FACTS).kind(MemoryItem.SUMMARY).limit(4)).block(WAIT);
        assertThat(keys(summaries)).containsExactly("s4", "s3");
        List<MemoryHit> further = store.search(MemorySearch.under(FACTS).kind(MemoryItem.SUMMARY).limit(4).offset(2)).block(WAIT);
        assertThat(further).as("paging does not bring back the summaries past the cap").isEmpty();
        List<MemoryHit> laterPage = store.search(MemorySearch.under(FACTS).limit(4).offset(4)).block(WAIT);
        assertThat(keys(laterPage)).containsExactly("f2", "f1", "f0");
    }

    @Test
    void lexical_ranking_puts_the_item_sharing_rare_words_first() {
        DefaultMemoryStore store = store();
        put(store, fact(FACTS, "pet", Map.of("text", "The user has a dog named Rex")));
        put(store, fact(FACTS, "food", Map.of("text", "The user likes sushi and ramen")));
        put(store, fact(FACTS, "job", Map.of("text", "The user works as a nurse", "note", "night shifts")));

        List<MemoryHit> hits = store.search(MemorySearch.under(FACTS).query("What is the name of my DOG?")).block(WAIT);
        assertThat(keys(hits)).as("common words match too, but score less").startsWith("pet");
        assertThat(hits.get(0).score()).isGreaterThan(2 * hits.get(1).score());

        List<MemoryHit> nested = store.search(MemorySearch.under(FACTS).query("night")).block(WAIT);
        assertThat(keys(nested)).as("every string of the value is read when no text fields are configured").containsExactly("job");
        assertThat(store.search(MemorySearch.under(FACTS).query("?!")).block(WAIT)).as("a query without words matches nothing").isEmpty();
    }

    @Test
    void configured_text_fields_limit_what_the_lexical_score_reads() {
        DefaultMemoryStore store = store(MemorySettings.defaults().withTextFields(List.of("text")), null);
        put(store, fact(FACTS, "job", Map.of("text", "The user works as a nurse", "note", "night shifts")));
        assertThat(store.search(MemorySearch.under(FACTS).query("night")).block(WAIT)).isEmpty();
        assertThat(keys(store.search(MemorySearch.under(FACTS).query("nurse")).block(WAIT))).containsExactly("job");
    }

    @Test
    void an_embedder_ranks_by_meaning_and_stores_unit_vectors() {
        WordHashEmbedder embedder = new WordHashEmbedder(Map.of("puppy", "dog", "canine", "dog"));
        DefaultMemoryStore store = store(MemorySettings.defaults(), embedder);
        put(store, fact(FACTS, "pet", Map.of("text", "owns a dog")));
        put(store, fact(FACTS, "food", Map.of("text", "likes sushi")));

        List<MemoryHit> hits = store.search(MemorySearch.under(FACTS).query("puppy")).block(WAIT);
        assertThat(keys(hits)).as("no shared word, but the same meaning").startsWith("pet");
        assertThat(hits.get(0).score()).isGreaterThan(hits.get(1).score());

        MemoryRecord stored = storage.get(MemoryKey.of(FACTS, "pet"), clock.instant()).block(WAIT);
        float[] v = stored.vector();
        assertThat(v).hasSize(WordHashEmbedder.DIMENSIONS);
        double norm = 0;
        for (float x : v) {
            norm += x * x;
        }
        assertThat(norm).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    }

    @Test
    void lexicalWeight_blends_the_normalised_lexical_score_into_the_cosine() {
        WordHashEmbedder embedder = new WordHashEmbedder(Map.of("puppy", "dog"));
        MemorySettings half = MemorySettings.defaults().withEmbedding(MemorySettings.defaults().embedding().withLexicalWeight(0.5));
        DefaultMemoryStore store = store(half, embedder);
        put(store, fact(FACTS, "photo", Map.of("text", "a puppy photo")));
        clock.advance(Duration.ofMillis(5));
        put(store, fact(FACTS, "pet", Map.of("text", "owns a dog")));

        List<MemoryHit> hits = store.search(MemorySearch.under(FACTS).query("puppy")).block(WAIT);
        double cosine = 1 / Math.sqrt(3);
        assertThat(keys(hits)).as("the same meaning, but only one shares the word").containsExactly("photo", "pet");
        assertThat(hits.get(0).score()).isCloseTo(0.5 * cosine + 0.5, org.assertj.core.data.Offset.offset(1e-6));
        assertThat(hits.get(1).score()).isCloseTo(0.5 * cosine, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void ttl_hides_expired_items_and_reads_refresh_it_when_configured() {
        DefaultMemoryStore store = store(MemorySettings.defaults().withTtl(Duration.ofSeconds(10), true), null);
        MemoryItem item = put(store, fact(FACTS, "a", Map.of("text", "x")));
        assertThat(item.expiresAt()).isEqualTo(item.updatedAt().plusSeconds(10));

        clock.advance(Duration.ofSeconds(8));
        MemoryItem read = store.get(item.key()).block(WAIT);
        assertThat(read.expiresAt()).as("a read gives it memory.ttl from now").isEqualTo(clock.instant().plusSeconds(10));
        clock.advance(Duration.ofSeconds(8));
        assertThat(store.search(MemorySearch.under(FACTS)).block(WAIT)).as("alive past its first expiry").hasSize(1);
        clock.advance(Duration.ofSeconds(10));
        store.get(item.key()).as(StepVerifier::create).as("expired").verifyComplete();
        assertThat(store.search(MemorySearch.under(FACTS)).block(WAIT)).isEmpty();
        assertThat(store.namespaces(NamespaceQuery.all()).block(WAIT)).isEmpty();
    }

    @Test
    void a_write_of_its_own_ttl_wins_over_the_default_and_is_not_refreshed_without_refreshTtlOnRead() {
        DefaultMemoryStore store = store(MemorySettings.defaults().withTtl(Duration.ofDays(1), false), null);
        MemoryItem item = put(store, fact(FACTS, "a", Map.of("text", "x")).ttl(Duration.ofSeconds(3)));
        assertThat(item.expiresAt()).isEqualTo(item.updatedAt().plusSeconds(3));
        clock.advance(Duration.ofSeconds(2));
        assertThat(store.get(item.key()).block(WAIT).expiresAt()).isEqualTo(item.expiresAt());
        clock.advance(Duration.ofSeconds(1));
        store.get(item.key()).as(StepVerifier::create).verifyComplete();
        store.delete(item.key()).as(StepVerifier::create).expectNext(false).as("an expired item is not there to delete").verifyComplete();
    }

    @Test
    void a_refresh_by_a_read_never_undoes_a_later_write() {
        MemoryKey key = MemoryKey.of(FACTS, "a");
        DefaultMemoryStore store = store();
        MemoryItem old = put(store, fact(FACTS, "a", Map.of("v", 1)).ttl(Duration.ofSeconds(5)));
        clock.advance(Duration.ofMillis(5));
        MemoryItem newer = put(store, fact(FACTS, "a", Map.of("v", 2)).ttl(Duration.ofSeconds(5)));

        storage.refreshExpiry(key, old.updatedAt(), Instant.ofEpochMilli(clock.millis() + 60_000), clock.instant())
                .as(StepVerifier::create).expectNext(false).verifyComplete();
        store.get(key).as(StepVerifier::create).expectNext(newer).verifyComplete();
    }
}
