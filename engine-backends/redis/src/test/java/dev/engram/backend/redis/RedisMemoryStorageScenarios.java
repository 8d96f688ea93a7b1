package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.CorruptDataException;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.MemoryRecord;
import dev.engram.core.spi.MemoryStorage;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.cluster.api.sync.RedisClusterCommands;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The Redis memory storage at the SPI level, on one deployment (standalone or Cluster): what it returns, and what it
 * leaves in Redis (keys, index entries and the tenant's spaces), looked at directly.
 */
abstract class RedisMemoryStorageScenarios {

    private static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** Direct access to the deployment, to look at the stored keys. */
    record Raw(RedisClusterCommands<String, String> commands, AutoCloseable closer) {
    }

    /** A backend on the deployment under test with this key prefix and clock. */
    protected abstract Backend open(String prefix, Clock clock);

    protected abstract Raw raw();

    /** Deletes what the test stored under {@code prefix}. */
    protected abstract void release(String prefix);

    private final List<Backend> opened = new ArrayList<>();
    private final List<String> prefixes = new ArrayList<>();
    private final String prefix = RedisTestSupport.uniquePrefix("memory");
    private final String tenant = "tenant-" + UUID.randomUUID().toString().substring(0, 8);
    private final Instant t0 = Instant.ofEpochMilli(System.currentTimeMillis());
    private final MutableClock clock = new MutableClock(t0);
    private MemoryStorage store;
    private RedisKeys keys;
    private Raw raw;

    @BeforeEach
    void openStore() {
        store = backend(prefix).memories();
        keys = new RedisKeys(prefix);
        raw = raw();
    }

    @AfterEach
    void closeAll() throws Exception {
        Flux.fromIterable(opened).flatMap(Backend::close).blockLast(TIMEOUT);
        raw.closer().close();
        prefixes.forEach(this::release);
    }

    private Backend backend(String keyPrefix) {
        Backend b = open(keyPrefix, clock);
        opened.add(b);
        prefixes.add(keyPrefix);
        return b;
    }

    private MemoryRecord record(String t, Namespace namespace, String key, String text, @Nullable Instant expiresAt, float @Nullable [] vector) {
        MemoryItem item = new MemoryItem(new MemoryKey(t, namespace, key), Map.of("text", text), MemoryItem.FACT, null, t0, clock.instant(),
                expiresAt);
        return new MemoryRecord(item, vector);
    }

    private MemoryRecord record(Namespace namespace, String key, String text) {
        return record(tenant, namespace, key, text, null, null);
    }

    private MemoryRecord expiring(Namespace namespace, String key, Instant expiresAt) {
        return record(tenant, namespace, key, "until " + expiresAt, expiresAt, null);
    }

    private void put(MemoryStorage s, MemoryRecord... records) {
        Flux.fromArray(records).concatMap(s::put).blockLast(TIMEOUT);
    }

    private List<String> scanKeys(MemoryStorage s, String t, Namespace prefix, Instant now) {
        return s.scan(t, prefix, now).map(r -> r.key().namespace().path() + "#" + r.key().key()).sort().collectList().block(TIMEOUT);
    }

    private List<String> scanKeys(Namespace prefix) {
        return scanKeys(store, tenant, prefix, clock.instant());
    }

    private boolean exists(String key) {
        return raw.commands().exists(key) == 1;
    }

    private List<String> spaces() {
        return raw.commands().zrange(keys.memorySpaces(tenant), 0, -1);
    }

    @Test
    void anItemIsStoredWithItsVectorAndReplacedByTheNextPut() {
        Namespace user = Namespace.of("user-1", "facts");
        MemoryRecord first = record(tenant, user, "diet", "vegetarian", null, new float[] {0.6f, 0.8f});
        store.put(first).as(StepVerifier::create).verifyComplete();

        store.get(first.key(), clock.instant()).as(StepVerifier::create)
                .assertNext(r -> {
                    assertThat(r.item()).isEqualTo(first.item());
                    assertThat(r.vector()).containsExactly(0.6f, 0.8f);
                })
                .as("the item comes back with its vector").verifyComplete();

        MemoryRecord second = record(user, "diet", "vegan");
        store.put(second).as(StepVerifier::create).verifyComplete();
        store.get(first.key(), clock.instant()).as(StepVerifier::create)
                .assertNext(r -> {
                    assertThat(r.item().value()).isEqualTo(Map.of("text", "vegan"));
                    assertThat(r.vector()).isNull();
                })
                .as("a put replaces the item whole").verifyComplete();
        assertThat(scanKeys(Namespace.of("user-1"))).containsExactly("user-1/facts#diet");
        assertThat(raw.commands().zcard(keys.memoryIndex(tenant, "user-1"))).as("one index entry per key").isEqualTo(1);
        assertThat(spaces()).containsExactly("user-1");
    }

    @Test
    void deleteSaysWhetherALiveItemWasThere() {
        MemoryRecord r = record(Namespace.of("user-1"), "k", "v");
        put(store, r);
        store.delete(r.key()).as(StepVerifier::create).expectNext(true).as("a live item was there").verifyComplete();
        store.get(r.key(), clock.instant()).as(StepVerifier::create).as("gone").verifyComplete();
        store.delete(r.key()).as(StepVerifier::create).expectNext(false).as("nothing left to delete").verifyComplete();
        assertThat(scanKeys(Namespace.ROOT)).isEmpty();
        assertThat(exists(keys.memoryIndex(tenant, "user-1"))).as("the emptied index is gone").isFalse();
        assertThat(spaces()).as("the emptied space left the tenant's set").isEmpty();

        MemoryRecord expiring = expiring(Namespace.of("user-1"), "e", t0.plus(Duration.ofHours(1)));
        put(store, expiring);
        clock.advance(Duration.ofHours(2));
        assertThat(exists(keys.memoryItem(expiring.key()))).as("Redis still holds it: its TTL is an hour of its own time").isTrue();
        store.delete(expiring.key()).as(StepVerifier::create).expectNext(false).as("an expired item is not live").verifyComplete();
        assertThat(exists(keys.memoryItem(expiring.key()))).as("but it is removed").isFalse();
    }

    @Test
    void prefixesMatchWholeSegments() {
        put(store, record(Namespace.of("a"), "k1", "1"), record(Namespace.of("a", "x"), "k2", "2"), record(Namespace.of("ab"), "k3", "3"),
                record(Namespace.of("a", "xy"), "k4", "4"));

        assertThat(scanKeys(Namespace.of("a"))).containsExactly("a#k1", "a/x#k2", "a/xy#k4");
        assertThat(scanKeys(Namespace.of("ab"))).containsExactly("ab#k3");
        assertThat(scanKeys(Namespace.of("a", "x"))).containsExactly("a/x#k2");
        assertThat(scanKeys(Namespace.of("a", "x", "deeper"))).isEmpty();
        assertThat(scanKeys(Namespace.of("b"))).isEmpty();
        assertThat(scanKeys(Namespace.ROOT)).containsExactly("a#k1", "a/x#k2", "a/xy#k4", "ab#k3");
        store.get(new MemoryKey(tenant, Namespace.of("a"), "k3"), clock.instant()).as(StepVerifier::create)
                .as("k3 lives under 'ab', not 'a'").verifyComplete();
        assertThat(spaces()).containsExactly("a", "ab");
    }

    @Test
    void tenantsAndKeyPrefixesAreSeparate() {
        String other = tenant + "-other";
        Namespace ns = Namespace.of("user-1");
        MemoryRecord mine = record(tenant, ns, "k", "mine", null, null);
        MemoryRecord theirs = record(other, ns, "k", "theirs", null, null);
        put(store, mine, theirs);

        assertThat(store.get(mine.key(), clock.instant()).block(TIMEOUT).item().value()).isEqualTo(Map.of("text", "mine"));
        assertThat(store.get(theirs.key(), clock.instant()).block(TIMEOUT).item().value()).isEqualTo(Map.of("text", "theirs"));
        assertThat(store.scan(other, Namespace.ROOT, clock.instant()).map(r -> r.key().tenant()).collectList().block(TIMEOUT))
                .containsExactly(other);
        assertThat(store.delete(theirs.key()).block(TIMEOUT)).isTrue();
        assertThat(scanKeys(Namespace.ROOT)).as("the other tenant's delete leaves this one").containsExactly("user-1#k");

        MemoryStorage elsewhere = backend(RedisTestSupport.uniquePrefix("memory-other")).memories();
        elsewhere.get(mine.key(), clock.instant()).as(StepVerifier::create).as("another key prefix sees nothing").verifyComplete();
        assertThat(scanKeys(elsewhere, tenant, Namespace.ROOT, clock.instant())).isEmpty();
        assertThat(scanKeys(elsewhere, tenant, ns, clock.instant())).isEmpty();
        assertThat(elsewhere.delete(mine.key()).block(TIMEOUT)).isFalse();
        put(elsewhere, record(ns, "k", "elsewhere"), record(ns, "k2", "elsewhere"));
        assertThat(store.get(mine.key(), clock.instant()).block(TIMEOUT).item().value()).isEqualTo(Map.of("text", "mine"));
        assertThat(scanKeys(Namespace.ROOT)).containsExactly("user-1#k");
    }

    @Test
    void anExpiredItemIsNeverReturnedAndTheNextScanSweepsIt() {
        Namespace ns = Namespace.of("user-1", "facts");
        MemoryRecord soon = expiring(ns, "soon", t0.plus(Duration.ofHours(1)));
        put(store, soon, record(ns, "kept", "forever"), expiring(ns, "later", t0.plus(Duration.ofHours(3))));
        assertThat(raw.commands().pttl(keys.memoryItem(soon.key()))).as("a native TTL").isBetween(1L, 3_600_000L);
        assertThat(raw.commands().pttl(keys.memoryIndex(tenant, "user-1"))).as("one item never expires, nor does the index").isEqualTo(-1);

        store.get(soon.key(), t0.plus(Duration.ofMinutes(59))).as(StepVerifier::create).expectNextCount(1).verifyComplete();
        clock.advance(Duration.ofHours(2));
        store.get(soon.key(), clock.instant()).as(StepVerifier::create).as("expired by the engine's clock").verifyComplete();
        store.get(soon.key(), soon.expiresAt()).as(StepVerifier::create).as("expiry is exclusive").verifyComplete();
        assertThat(exists(keys.memoryItem(soon.key()))).as("though Redis has not removed it yet").isTrue();

        assertThat(scanKeys(ns)).containsExactly("user-1/facts#kept", "user-1/facts#later");
        assertThat(scanKeys(Namespace.ROOT)).containsExactly("user-1/facts#kept", "user-1/facts#later");
        assertThat(exists(keys.memoryItem(soon.key()))).as("the scan swept the item").isFalse();
        assertThat(raw.commands().zrange(keys.memoryIndex(tenant, "user-1"), 0, -1))
                .as("and its index entry").containsExactlyInAnyOrder("user-1/facts#kept", "user-1/facts#later");
    }

    @Test
    void aPutSweepsExpiredItemsOfItsSpace() {
        Namespace ns = Namespace.of("user-1");
        List<MemoryRecord> old = IntStream.range(0, 3).mapToObj(i -> expiring(ns, "old-" + i, t0.plus(Duration.ofHours(1)))).toList();
        put(store, old.toArray(MemoryRecord[]::new));
        put(store, expiring(Namespace.of("user-2"), "elsewhere", t0.plus(Duration.ofHours(1))));
        clock.advance(Duration.ofHours(2));
        put(store, record(ns, "new", "v"));

        assertThat(raw.commands().zrange(keys.memoryIndex(tenant, "user-1"), 0, -1)).containsExactly("user-1#new");
        assertThat(old).allSatisfy(r -> assertThat(exists(keys.memoryItem(r.key()))).isFalse());
        assertThat(raw.commands().zcard(keys.memoryIndex(tenant, "user-2"))).as("other spaces are not touched").isEqualTo(1);
    }

    @Test
    void redisRemovesExpiredItemsOnItsOwnAndScansForgetThem() {
        Namespace ns = Namespace.of("user-1");
        MemoryRecord shortLived = expiring(ns, "brief", t0.plusMillis(300));
        put(store, shortLived);
        assertThat(raw.commands().pttl(keys.memoryIndex(tenant, "user-1"))).as("the index expires with its last item")
                .isBetween(1L, 300L);
        assertThat(spaces()).containsExactly("user-1");

        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (exists(keys.memoryItem(shortLived.key())) || exists(keys.memoryIndex(tenant, "user-1"))) {
            assertThat(System.nanoTime()).as("Redis removes the item within " + TIMEOUT).isLessThan(deadline);
            Mono.delay(Duration.ofMillis(50)).block();
        }
        assertThat(scanKeys(Namespace.ROOT)).isEmpty();
        assertThat(spaces()).as("a root scan drops the empty space").isEmpty();
    }

    @Test
    void entriesWhoseKeyIsGoneArePruned() {
        MemoryRecord r = record(Namespace.of("user-1"), "k", "v");
        put(store, r, record(Namespace.of("user-1"), "k2", "v"));
        // as when Redis's clock runs ahead of the engine's: the key is gone, its entry still says live
        raw.commands().del(keys.memoryItem(r.key()));

        assertThat(scanKeys(Namespace.of("user-1"))).containsExactly("user-1#k2");
        assertThat(raw.commands().zrange(keys.memoryIndex(tenant, "user-1"), 0, -1)).containsExactly("user-1#k2");
        assertThat(store.delete(r.key()).block(TIMEOUT)).isFalse();
    }

    @Test
    void aScanOfOneUserReadsOnlyThatUsersKeys() {
        MemoryRecord mine = record(Namespace.of("user-1"), "k", "v");
        MemoryRecord theirs = record(Namespace.of("user-2"), "k", "v");
        put(store, mine, theirs);
        raw.commands().set(keys.memoryItem(theirs.key()), "not a memory record");

        assertThat(scanKeys(Namespace.of("user-1"))).as("user-2's damaged key is never read").containsExactly("user-1#k");
        store.scan(tenant, Namespace.ROOT, clock.instant()).as(StepVerifier::create)
                .thenConsumeWhile(r -> r.key().namespace().equals(Namespace.of("user-1")))
                .expectErrorSatisfies(e -> assertThat(e).as("a root scan reads it").isInstanceOf(CorruptDataException.class))
                .verify(TIMEOUT);
        assertThatThrownBy(() -> store.get(theirs.key(), clock.instant()).block(TIMEOUT)).isInstanceOf(CorruptDataException.class);
    }

    @Test
    void aRefreshMovesTheExpiryOfTheItemItWasAskedFor() {
        Namespace ns = Namespace.of("user-1");
        MemoryRecord r = expiring(ns, "k", t0.plus(Duration.ofHours(1)));
        put(store, r);
        Instant later = t0.plus(Duration.ofHours(5));
        store.refreshExpiry(r.key(), r.item().updatedAt(), later, clock.instant()).as(StepVerifier::create)
                .expectNext(true).as("the item written at updatedAt is refreshed").verifyComplete();
        assertThat(raw.commands().pttl(keys.memoryItem(r.key()))).as("its native TTL moved too").isGreaterThan(3_600_000L);
        assertThat(raw.commands().pttl(keys.memoryIndex(tenant, "user-1"))).as("and its index's").isGreaterThan(3_600_000L);

        clock.advance(Duration.ofHours(2));
        store.get(r.key(), clock.instant()).as(StepVerifier::create)
                .assertNext(found -> {
                    assertThat(found.expiresAt()).isEqualTo(later);
                    assertThat(found.item().value()).isEqualTo(r.item().value());
                })
                .as("live past its first expiry").verifyComplete();
        assertThat(scanKeys(ns)).as("the index score moved: scans neither skip nor sweep it").containsExactly("user-1#k");
    }

    @Test
    void aRefreshNeverLandsOnALaterWriteOrAGoneItem() {
        Namespace ns = Namespace.of("user-1");
        MemoryRecord first = expiring(ns, "k", t0.plus(Duration.ofHours(1)));
        put(store, first);
        clock.advance(Duration.ofMinutes(1));
        MemoryRecord second = record(ns, "k", "rewritten");
        put(store, second);

        store.refreshExpiry(first.key(), first.item().updatedAt(), t0.plus(Duration.ofHours(9)), clock.instant()).as(StepVerifier::create)
                .expectNext(false).as("the item was written again since").verifyComplete();
        assertThat(store.get(first.key(), clock.instant()).block(TIMEOUT).expiresAt()).as("the later write is untouched").isNull();

        MemoryRecord absent = record(ns, "absent", "v");
        assertThat(store.refreshExpiry(absent.key(), absent.item().updatedAt(), t0.plus(Duration.ofHours(9)), clock.instant())
                .block(TIMEOUT)).as("nothing to refresh").isFalse();
        MemoryRecord expired = expiring(ns, "expired", t0.plus(Duration.ofHours(1)));
        put(store, expired);
        assertThat(store.refreshExpiry(expired.key(), expired.item().updatedAt(), t0.plus(Duration.ofHours(9)),
                t0.plus(Duration.ofHours(2))).block(TIMEOUT)).as("an expired item is not brought back").isFalse();

        // the script's own guard: a record other than the expected one is left alone
        String itemKey = keys.memoryItem(second.key());
        String stored = raw.commands().get(itemKey);
        Long written = raw.commands().eval(RedisScript.MEMORY_PUT.source(), ScriptOutputType.INTEGER,
                new String[] {itemKey, keys.memoryIndex(tenant, "user-1")}, RedisKeys.memoryMember(second.key()), "other bytes", "+inf", "0",
                Long.toString(clock.millis()), keys.memoryItemStem(tenant, "user-1"), "128", "0".repeat(40));
        assertThat(written).isZero();
        assertThat(raw.commands().get(itemKey)).isEqualTo(stored);
    }

    @Test
    void concurrentAndRetriedPutsKeepOneItemPerKey() {
        Namespace ns = Namespace.of("user-1", "facts");
        List<MemoryRecord> writes = IntStream.range(0, 100).mapToObj(i -> record(ns, "k" + (i % 20), "write " + i)).toList();
        Flux.fromIterable(writes).flatMap(store::put, 32).blockLast(TIMEOUT);
        // spread over several spaces too, so that on a Cluster the root scan spans masters
        Flux.range(0, 30).flatMap(i -> store.put(record(Namespace.of("user-" + (i + 2)), "k", "v")), 16).blockLast(TIMEOUT);

        assertThat(scanKeys(ns)).hasSize(20).doesNotHaveDuplicates();
        assertThat(raw.commands().zcard(keys.memoryIndex(tenant, "user-1"))).isEqualTo(20);
        assertThat(scanKeys(Namespace.ROOT)).hasSize(50);
        assertThat(spaces()).hasSize(31);
    }
}
