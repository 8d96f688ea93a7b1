package dev.engram.backend.mongodb;

import static org.assertj.core.api.Assertions.assertThat;

import com.mongodb.reactivestreams.client.MongoClient;
import com.mongodb.reactivestreams.client.MongoClients;
import com.mongodb.reactivestreams.client.MongoCollection;
import dev.engram.backend.mongodb.MongoEventLogIT.MutableClock;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.bson.Document;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The memory storage SPI on the in-process server, with a clock the test moves. That server has no TTL monitor and
 * plans no query by a secondary index, so what is shown here is that correctness needs neither.
 */
class MongoMemoryStorageIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static MongoTestServer server;
    private static MongoClient direct;
    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private String database;
    private Backend backend;
    private MemoryStorage memories;

    @BeforeAll
    static void startServer() {
        server = MongoTestServer.start();
        direct = MongoClients.create(server.url());
    }

    @AfterAll
    static void stopServer() {
        direct.close();
        server.close();
    }

    @BeforeEach
    void open(TestInfo info) {
        database = "mem_" + info.getTestMethod().orElseThrow().getName();
        backend = server.backend(database, clock);
        memories = backend.memories();
    }

    @AfterEach
    void close() {
        backend.close().block(TIMEOUT);
    }

    private Instant now() {
        return clock.instant();
    }

    private MongoCollection<Document> collection(String name) {
        return direct.getDatabase(database).getCollection(name);
    }

    private List<Document> stored() {
        return Flux.from(collection("engram_memories").find()).collectList().block(TIMEOUT);
    }

    private MemoryRecord record(String tenant, Namespace ns, String key, String text, @Nullable Instant expiresAt, float @Nullable [] vector) {
        Provenance from = new Provenance(new ThreadKey(tenant, "chat-1", ""), 3, 5, "extractor", "model-a");
        MemoryItem item = new MemoryItem(new MemoryKey(tenant, ns, key), Map.of("text", text), MemoryItem.FACT, from,
                now().minusSeconds(60), now(), expiresAt);
        return new MemoryRecord(item, vector);
    }

    private MemoryRecord record(Namespace ns, String key) {
        return record("default", ns, key, key + " in " + ns.path(), null, null);
    }

    private List<String> scanned(MemoryStorage storage, String tenant, Namespace prefix) {
        return storage.scan(tenant, prefix, now()).map(r -> r.key().namespace().path() + "#" + r.key().key()).collectList()
                .block(TIMEOUT).stream().sorted().toList();
    }

    @Test
    void putStoresGetReadsAndAPutReplaces() {
        MemoryRecord first = record("default", Namespace.of("user-42", "facts"), "diet", "vegetarian", null, new float[] {0.6f, 0.8f});
        memories.put(first).as(StepVerifier::create).verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.item()).isEqualTo(first.item());
            assertThat(r.vector()).as("the vector travels inside the blob").containsExactly(0.6f, 0.8f);
        }).verifyComplete();
        assertThat(stored()).singleElement().satisfies(d -> {
            assertThat(d.getString("_id")).isEqualTo("default/user-42/facts#diet");
            assertThat(d.getString("t")).isEqualTo("default");
            assertThat(d.getString("ns")).as("the path with a trailing '/'").isEqualTo("user-42/facts/");
            assertThat(d.getString("k")).isEqualTo("diet");
            assertThat(d.containsKey("expiresAt")).as("no expiry, no field: the TTL index leaves it alone").isFalse();
        });

        clock.advance(Duration.ofSeconds(1));
        MemoryRecord second = record("default", first.key().namespace(), "diet", "vegan", now().plusSeconds(30), null);
        memories.put(second).as(StepVerifier::create).verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.item().value()).isEqualTo(Map.of("text", "vegan"));
            assertThat(r.vector()).isNull();
            assertThat(r.expiresAt()).isEqualTo(now().plusSeconds(30));
        }).as("the second put replaced the first").verifyComplete();
        assertThat(stored()).singleElement().satisfies(d -> {
            assertThat(d.getDate("expiresAt")).isEqualTo(Date.from(now().plusSeconds(30)));
            assertThat(d.getDate("updatedAt")).isEqualTo(Date.from(now()));
        });

        memories.get(new MemoryKey("default", Namespace.of("user-42", "facts"), "absent"), now()).as(StepVerifier::create)
                .verifyComplete();
    }

    @Test
    void racingFirstPutsOfOneKeyAllSucceed() {
        Namespace ns = Namespace.of("race");
        Flux.range(0, 16)
                .flatMap(i -> memories.put(record("default", ns, "k", "writer " + i, null, null)).subscribeOn(Schedulers.parallel()))
                .then().block(TIMEOUT);
        assertThat(stored()).hasSize(1);
        memories.get(new MemoryKey("default", ns, "k"), now()).map(r -> (String) r.item().value().get("text"))
                .as(StepVerifier::create).assertNext(text -> assertThat(text).startsWith("writer ")).verifyComplete();
    }

    @Test
    void deleteReportsWhetherALiveItemWasThere() {
        MemoryRecord live = record(Namespace.of("u1"), "live");
        MemoryRecord expiring = record("default", Namespace.of("u1"), "expiring", "soon", now().plusMillis(500), null);
        memories.put(live).then(memories.put(expiring)).block(TIMEOUT);

        memories.delete(live.key()).as(StepVerifier::create).expectNext(true).verifyComplete();
        memories.delete(live.key()).as(StepVerifier::create).expectNext(false).as("nothing left to delete").verifyComplete();
        memories.get(live.key(), now()).as(StepVerifier::create).verifyComplete();

        clock.advance(Duration.ofMillis(500));
        memories.delete(expiring.key()).as(StepVerifier::create).expectNext(false)
                .as("an expired document was there, but not a live one").verifyComplete();
        assertThat(stored()).as("the expired document went too").isEmpty();
    }

    @Test
    void aPrefixMatchesWholeSegmentsOfOneTenant() {
        for (String path : List.of("a", "a/x", "a/x/y", "ab", "a-b", "a.b", "a0", "a:b", "a@b", "b", "A")) {
            memories.put(record(Namespace.parse(path), "k")).block(TIMEOUT);
        }
        memories.put(record("other", Namespace.of("a"), "k", "another tenant's", null, null)).block(TIMEOUT);
        memories.put(record("other", Namespace.of("a", "x"), "k", "another tenant's", null, null)).block(TIMEOUT);

        assertThat(scanned(memories, "default", Namespace.of("a"))).as("['a'] is 'a' and below it, never 'ab', 'a-b' or 'a0'")
                .containsExactly("a#k", "a/x#k", "a/x/y#k");
        assertThat(scanned(memories, "default", Namespace.of("a", "x"))).containsExactly("a/x#k", "a/x/y#k");
        assertThat(scanned(memories, "default", Namespace.of("a", "x", "y", "z"))).isEmpty();
        assertThat(scanned(memories, "default", Namespace.of("ab"))).containsExactly("ab#k");
        assertThat(scanned(memories, "default", Namespace.ROOT)).as("the root is the whole tenant")
                .containsExactly("A#k", "a#k", "a-b#k", "a.b#k", "a/x#k", "a/x/y#k", "a0#k", "a:b#k", "a@b#k", "ab#k", "b#k");
        assertThat(scanned(memories, "other", Namespace.ROOT)).containsExactly("a#k", "a/x#k");
        assertThat(scanned(memories, "nobody", Namespace.of("a"))).isEmpty();
    }

    @Test
    void tenantsKeepTheirOwnItems() {
        Namespace ns = Namespace.of("shared-name");
        MemoryRecord ann = record("ann", ns, "k", "ann's", null, null);
        MemoryRecord bob = record("bob", ns, "k", "bob's", null, null);
        memories.put(ann).then(memories.put(bob)).block(TIMEOUT);
        memories.get(ann.key(), now()).map(r -> r.item().value().get("text")).as(StepVerifier::create).expectNext("ann's").verifyComplete();
        memories.delete(bob.key()).as(StepVerifier::create).expectNext(true).verifyComplete();
        memories.get(ann.key(), now()).as(StepVerifier::create).expectNextCount(1).as("ann's survives bob's delete").verifyComplete();
        memories.get(bob.key(), now()).as(StepVerifier::create).verifyComplete();
    }

    @Test
    void databasesAndPrefixesNeverMix() {
        Backend otherDatabase = server.backend(database + "_2", clock);
        Backend otherPrefix = server.backend(database, clock, "collectionPrefix", "other_");
        try {
            MemoryRecord here = record(Namespace.of("u"), "k");
            memories.put(here).block(TIMEOUT);
            for (Backend other : List.of(otherDatabase, otherPrefix)) {
                other.memories().get(here.key(), now()).as(StepVerifier::create).verifyComplete();
                assertThat(scanned(other.memories(), "default", Namespace.ROOT)).isEmpty();
                other.memories().put(record("default", Namespace.of("u"), "k", "there", null, null)).block(TIMEOUT);
                other.memories().delete(here.key()).as(StepVerifier::create).expectNext(true).verifyComplete();
            }
            memories.get(here.key(), now()).map(r -> r.item().value().get("text")).as(StepVerifier::create)
                    .expectNext("k in u").as("deletes elsewhere leave this deployment's item").verifyComplete();
        } finally {
            otherDatabase.close().then(otherPrefix.close()).block(TIMEOUT);
        }
    }

    @Test
    void expiredItemsAreNeverReturnedWithoutATtlMonitor() {
        MemoryRecord expiring = record("default", Namespace.of("u", "facts"), "short", "short-lived", now().plusSeconds(10), null);
        MemoryRecord later = record("default", Namespace.of("u", "facts"), "long", "long-lived", now().plusSeconds(60), null);
        MemoryRecord forever = record(Namespace.of("u", "facts"), "forever");
        memories.put(expiring).then(memories.put(later)).then(memories.put(forever)).block(TIMEOUT);

        clock.advance(Duration.ofMillis(9_999));
        memories.get(expiring.key(), now()).as(StepVerifier::create).expectNextCount(1).as("alive a millisecond before").verifyComplete();
        assertThat(scanned(memories, "default", Namespace.of("u"))).hasSize(3);

        clock.advance(Duration.ofMillis(1));
        memories.get(expiring.key(), now()).as(StepVerifier::create).as("expired at its expiry instant").verifyComplete();
        assertThat(scanned(memories, "default", Namespace.of("u"))).containsExactly("u/facts#forever", "u/facts#long");
        assertThat(scanned(memories, "default", Namespace.ROOT)).containsExactly("u/facts#forever", "u/facts#long");
        memories.get(expiring.key(), now().minusSeconds(1)).as(StepVerifier::create).expectNextCount(1)
                .as("expiry is decided by the given time, not the server's").verifyComplete();
        assertThat(stored()).as("still stored: removing it is the TTL monitor's garbage collection").hasSize(3);

        memories.put(record("default", Namespace.of("u", "facts"), "short", "again", now().plusSeconds(10), null)).block(TIMEOUT);
        memories.get(expiring.key(), now()).map(r -> r.item().value().get("text")).as(StepVerifier::create)
                .expectNext("again").as("a key comes back after its expiry").verifyComplete();
    }

    @Test
    void theCollectionHasAUniqueKeyIndexAndATtlIndex() {
        memories.put(record(Namespace.of("u"), "k")).block(TIMEOUT);
        List<Document> indexes = Flux.from(collection("engram_memories").listIndexes()).collectList().block(TIMEOUT);
        assertThat(indexes).anySatisfy(i -> {
            assertThat(i.get("key", Document.class)).isEqualTo(new Document("t", 1).append("ns", 1).append("k", 1));
            assertThat(i.getBoolean("unique")).isTrue();
        });
        assertThat(indexes).anySatisfy(i -> {
            assertThat(i.get("key", Document.class)).isEqualTo(new Document("expiresAt", 1));
            assertThat(((Number) i.get("expireAfterSeconds")).longValue()).as("ttlGrace's default, 1h").isEqualTo(3600);
        });
        // a second document on the same key can only come from a bug; the index refuses it
        Document copy = stored().get(0).append("_id", "another id");
        Mono.from(collection("engram_memories").insertOne(copy)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(MongoErrors.isDuplicateKey(e)).isTrue()).verify(TIMEOUT);
    }

    @Test
    void refreshingTheExpiryIsACompareAndSetOnTheWritesTime() {
        Namespace ns = Namespace.of("u");
        MemoryRecord first = record("default", ns, "k", "first", now().plusSeconds(10), null);
        memories.put(first).block(TIMEOUT);
        Instant written = first.item().updatedAt();

        memories.refreshExpiry(first.key(), written, now().plusSeconds(60), now()).as(StepVerifier::create).expectNext(true)
                .verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.expiresAt()).as("in the blob").isEqualTo(now().plusSeconds(60));
            assertThat(r.item().value()).isEqualTo(first.item().value());
            assertThat(r.item().updatedAt()).as("a refresh is not a write").isEqualTo(written);
        }).verifyComplete();
        assertThat(stored()).singleElement().satisfies(d -> assertThat(d.getDate("expiresAt"))
                .as("and in the field the TTL index reads").isEqualTo(Date.from(now().plusSeconds(60))));

        clock.advance(Duration.ofSeconds(1));
        MemoryRecord second = record("default", ns, "k", "second", now().plusSeconds(10), null);
        memories.put(second).block(TIMEOUT);
        memories.refreshExpiry(first.key(), written, now().plusSeconds(600), now()).as(StepVerifier::create).expectNext(false)
                .as("the first write's refresh never touches the second write").verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).assertNext(r -> {
            assertThat(r.item().value()).isEqualTo(Map.of("text", "second"));
            assertThat(r.expiresAt()).isEqualTo(now().plusSeconds(10));
        }).verifyComplete();

        clock.advance(Duration.ofSeconds(10));
        memories.refreshExpiry(first.key(), second.item().updatedAt(), now().plusSeconds(600), now()).as(StepVerifier::create)
                .expectNext(false).as("an expired item is not brought back").verifyComplete();
        memories.get(first.key(), now()).as(StepVerifier::create).verifyComplete();
        memories.refreshExpiry(new MemoryKey("default", ns, "absent"), written, now().plusSeconds(60), now()).as(StepVerifier::create)
                .expectNext(false).verifyComplete();
    }
}
