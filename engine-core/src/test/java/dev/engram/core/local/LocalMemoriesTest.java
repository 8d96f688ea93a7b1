package dev.engram.core.local;

import static dev.engram.core.local.LocalTesting.open;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.local.LocalTesting.ManualClock;
import dev.engram.core.memory.MemoryItem;
import dev.engram.core.memory.MemoryKey;
import dev.engram.core.memory.Namespace;
import dev.engram.core.memory.Provenance;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.MemoryRecord;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

class LocalMemoriesTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();

    private MemoryRecord record(String tenant, Namespace ns, String key, @Nullable Instant expiresAt, float @Nullable [] vector) {
        Instant now = clock.instant();
        Provenance p = new Provenance(ThreadKey.of("chat-1"), 1, 4, "test", "m-1");
        return new MemoryRecord(new MemoryItem(new MemoryKey(tenant, ns, key), Map.of("text", "item " + key), MemoryItem.FACT, p,
                now, now, expiresAt), vector);
    }

    private MemoryRecord record(Namespace ns, String key) {
        return record("default", ns, key, null, null);
    }

    private static List<String> keys(Flux<MemoryRecord> records) {
        return records.map(r -> r.key().namespace().path() + "#" + r.key().key()).sort().collectList().block(WAIT);
    }

    private static void assertSame(MemoryRecord actual, MemoryRecord expected) {
        assertThat(actual.item()).isEqualTo(expected.item());
        assertThat(actual.vector()).isEqualTo(expected.vector());
    }

    @Test
    void itemsWithTheirVectorsSurviveAReopenAndDeletesStay() {
        LocalBackend b = open(dir, clock);
        MemoryRecord kept = record("default", Namespace.of("u1", "facts"), "city", clock.instant().plusSeconds(3600), new float[] {0.6f, 0.8f});
        MemoryRecord gone = record(Namespace.of("u1", "facts"), "old");
        b.memories().put(kept).block(WAIT);
        b.memories().put(gone).block(WAIT);
        b.memories().delete(gone.key()).as(StepVerifier::create).expectNext(true).verifyComplete();
        b.memories().delete(gone.key()).as(StepVerifier::create).expectNext(false).as("nothing left to delete").verifyComplete();
        b.close().block(WAIT);

        LocalBackend reopened = open(dir, clock);
        try {
            assertSame(reopened.memories().get(kept.key(), clock.instant()).block(WAIT), kept);
            reopened.memories().get(gone.key(), clock.instant()).as(StepVerifier::create).verifyComplete();
            assertThat(keys(reopened.memories().scan("default", Namespace.of("u1"), clock.instant()))).containsExactly("u1/facts#city");
        } finally {
            reopened.close().block(WAIT);
        }
    }

    @Test
    void aPrefixMatchesWholeSegmentsOnlyAndTenantsStayApart() {
        LocalBackend b = open(dir, clock);
        try {
            for (String ns : List.of("a", "a/x", "a/x/y", "a-b", "a.b", "ab", "a0", "a:z", "b")) {
                b.memories().put(record(Namespace.parse(ns), "k")).block(WAIT);
            }
            b.memories().put(record("other", Namespace.of("a"), "k", null, null)).block(WAIT);
            Instant now = clock.instant();
            for (int pass = 0; pass < 2; pass++) {
                String as = pass == 0 ? "read from RocksDB" : "read from the cache";
                assertThat(keys(b.memories().scan("default", Namespace.of("a"), now))).as(as).containsExactly("a#k", "a/x#k", "a/x/y#k");
                assertThat(keys(b.memories().scan("default", Namespace.of("a", "x"), now))).as(as).containsExactly("a/x#k", "a/x/y#k");
                assertThat(keys(b.memories().scan("default", Namespace.of("a-b"), now))).as(as).containsExactly("a-b#k");
                assertThat(keys(b.memories().scan("other", Namespace.of("a"), now))).as(as).containsExactly("a#k");
                assertThat(((LocalMemories) b.memories()).cache().bytes()).as("runs are cached after the first pass").isPositive();
            }
            assertThat(keys(b.memories().scan("default", Namespace.ROOT, now))).hasSize(9);
            assertThat(keys(b.memories().scan("nobody", Namespace.ROOT, now))).isEmpty();
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void theCacheFollowsEveryWrite() {
        LocalBackend b = open(dir, clock);
        LocalMemories m = (LocalMemories) b.memories();
        Namespace ns = Namespace.of("u1", "facts");
        try {
            m.put(record(ns, "one")).block(WAIT);
            assertThat(keys(m.scan("default", ns, clock.instant()))).containsExactly("u1/facts#one");
            long cached = m.cache().bytes();
            assertThat(cached).isPositive();

            m.put(record(ns, "two")).block(WAIT);
            assertThat(m.cache().bytes()).as("the write went into the cached run").isGreaterThan(cached);
            assertThat(keys(m.scan("default", ns, clock.instant()))).containsExactly("u1/facts#one", "u1/facts#two");
            m.delete(MemoryKey.of(ns, "one")).block(WAIT);
            assertThat(keys(m.scan("default", ns, clock.instant()))).containsExactly("u1/facts#two");
            m.get(MemoryKey.of(ns, "one"), clock.instant()).as(StepVerifier::create).verifyComplete();
            MemoryRecord three = record("default", ns, "two", clock.instant().plusSeconds(5), null);
            m.put(three).block(WAIT);
            assertSame(m.get(three.key(), clock.instant()).block(WAIT), three);
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void aRunLargerThanTheBoundIsReadButNotCached() {
        LocalBackend b = open(dir, clock, "memoryCache", "1KiB");
        LocalMemories m = (LocalMemories) b.memories();
        try {
            for (int i = 0; i < 40; i++) {
                m.put(record(Namespace.of("big"), "k" + i)).block(WAIT);
            }
            m.put(record(Namespace.of("small"), "k")).block(WAIT);
            assertThat(keys(m.scan("default", Namespace.of("big"), clock.instant()))).hasSize(40);
            assertThat(m.cache().bytes()).isZero();
            assertThat(keys(m.scan("default", Namespace.of("small"), clock.instant()))).hasSize(1);
            assertThat(m.cache().bytes()).isPositive().isLessThanOrEqualTo(1024);
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void expiredItemsAreInvisibleAtOnceAndTheSweepRemovesThem() throws Exception {
        LocalBackend b = open(dir, clock, "sweepInterval", "50ms");
        Namespace ns = Namespace.of("u1");
        MemoryRecord brief = record("default", ns, "brief", clock.instant().plusSeconds(1), null);
        MemoryRecord kept = record(ns, "kept");
        try {
            b.memories().put(brief).block(WAIT);
            b.memories().put(kept).block(WAIT);
            assertThat(keys(b.memories().scan("default", ns, clock.instant()))).hasSize(2);
            clock.advance(Duration.ofSeconds(2));
            b.memories().get(brief.key(), clock.instant()).as(StepVerifier::create).verifyComplete();
            assertThat(keys(b.memories().scan("default", ns, clock.instant()))).containsExactly("u1#kept");
            assertThat(keys(b.memories().scan("default", Namespace.ROOT, clock.instant()))).containsExactly("u1#kept");

            LocalDb db = b.db();
            byte[] key = LocalFormat.memoryKey(brief.key());
            Flux.interval(Duration.ofMillis(10)).filter(i -> db.call("probe", () -> db.db.get(db.memories, key)) == null).blockFirst(WAIT);
            assertThat(db.db.get(db.memories, LocalFormat.memoryKey(kept.key()))).as("a live item stays").isNotNull();
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void aRefreshOnlyMovesTheExpiryOfTheVersionItWasAskedFor() {
        LocalBackend b = open(dir, clock);
        Namespace ns = Namespace.of("u1");
        try {
            MemoryRecord first = record("default", ns, "k", clock.instant().plusSeconds(10), null);
            b.memories().put(first).block(WAIT);
            Instant later = clock.instant().plusSeconds(60);
            b.memories().refreshExpiry(first.key(), first.item().updatedAt(), later, clock.instant()).as(StepVerifier::create)
                    .expectNext(true).verifyComplete();
            assertThat(b.memories().get(first.key(), clock.instant()).block(WAIT).expiresAt()).isEqualTo(later);

            clock.advance(Duration.ofSeconds(1));
            MemoryRecord second = record("default", ns, "k", clock.instant().plusSeconds(10), null);
            b.memories().put(second).block(WAIT);
            b.memories().refreshExpiry(first.key(), first.item().updatedAt(), later.plusSeconds(60), clock.instant())
                    .as(StepVerifier::create).expectNext(false).as("a later write stands").verifyComplete();
            assertSame(b.memories().get(first.key(), clock.instant()).block(WAIT), second);
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void aDirectoryWrittenBeforeTheMemoriesFamilyExistedOpensAndKeepsItsData() throws Exception {
        try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
             ColumnFamilyOptions cf = new ColumnFamilyOptions()) {
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            for (String name : List.of("default", "threads", "events", "ids", "checkpoints")) {
                descriptors.add(new ColumnFamilyDescriptor(name.equals("default") ? RocksDB.DEFAULT_COLUMN_FAMILY
                        : name.getBytes(StandardCharsets.US_ASCII), cf));
            }
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB db = RocksDB.open(options, dir.toString(), descriptors, handles)) {
                db.put(handles.get(1), "marker".getBytes(StandardCharsets.US_ASCII), new byte[] {42});
                handles.forEach(ColumnFamilyHandle::close);
            }
        }

        LocalBackend b = open(dir, clock);
        try {
            LocalDb db = b.db();
            assertThat(db.db.get(db.threads, "marker".getBytes(StandardCharsets.US_ASCII))).containsExactly(42);
            MemoryRecord r = record(Namespace.of("u1"), "k");
            b.memories().put(r).block(WAIT);
            assertSame(b.memories().get(r.key(), clock.instant()).block(WAIT), r);
        } finally {
            b.close().block(WAIT);
        }
    }
}
