package dev.engram.core.local;

import static dev.engram.core.local.LocalTesting.append;
import static dev.engram.core.local.LocalTesting.event;
import static dev.engram.core.local.LocalTesting.open;
import static dev.engram.core.local.LocalTesting.texts;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import dev.engram.core.CorruptDataException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.local.LocalTesting.ManualClock;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import dev.engram.core.spi.support.ThreadCursor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class LocalBackendTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final ThreadKey CHAT = ThreadKey.of("chat-1");

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();

    private long now() {
        return clock.millis();
    }

    private List<EventRecord> readAll(LocalBackend b, ThreadKey key) {
        return b.events().read(key, 1, Long.MAX_VALUE, 10_000).collectList().block(WAIT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"always", "interval", "never"})
    void everythingSurvivesCloseAndReopen(String sync) {
        LocalBackend b = open(dir, clock, "sync", sync);
        b.events().append(new LogAppend(CHAT, ExpectedVersion.noThread(), List.of(event("one", now()), event("two", now())),
                Map.of("owner", "ada"), Duration.ofDays(1), now())).block(WAIT);
        b.events().append(append(CHAT, ExpectedVersion.exactly(2), now(), event("three", now()))).block(WAIT);
        b.events().updateMetadata(CHAT, Map.of("topic", "rust"), Set.of()).block(WAIT);
        StoredCheckpoint cp = new StoredCheckpoint(CHAT, 2, b.events().find(CHAT).block(WAIT).generation(), now(), new byte[] {1, 2, 3});
        b.checkpoints().save(cp).block(WAIT);
        ThreadRecord before = b.events().find(CHAT).block(WAIT);
        List<EventRecord> eventsBefore = readAll(b, CHAT);
        b.close().block(WAIT);

        LocalBackend reopened = open(dir, clock, "sync", sync);
        try {
            assertThat(reopened.events().find(CHAT).block(WAIT)).as("record after reopen").isEqualTo(before);
            assertThat(before.metadata()).containsEntry("owner", "ada").containsEntry("topic", "rust");
            assertThat(readAll(reopened, CHAT)).as("events after reopen").isEqualTo(eventsBefore);
            assertThat(texts(eventsBefore)).containsExactly("one", "two", "three");
            StoredCheckpoint loaded = reopened.checkpoints().load(CHAT, 2).block(WAIT);
            assertThat(loaded.data()).containsExactly(1, 2, 3);
            assertThat(loaded.meta()).isEqualTo(cp.meta());
        } finally {
            reopened.close().block(WAIT);
        }
    }

    @Test
    void aSecondOpenOfTheSameDirectoryFailsWhileTheFirstHoldsTheLock() {
        LocalBackend first = open(dir, clock);
        try {
            assertThatThrownBy(() -> open(dir, clock))
                    .isInstanceOf(ConfigurationException.class)
                    .hasMessage("data directory " + dir.toAbsolutePath().normalize() + " is in use by another Engram process (lock held)");
        } finally {
            first.close().block(WAIT);
        }
        LocalBackend again = open(dir, clock);
        again.close().block(WAIT);
    }

    @Test
    void aRetryAfterReopenReturnsTheOriginalVersionsAndWritesNothing() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        LocalBackend backend = open(dir, clock);
        backend.events().append(append(CHAT, ExpectedVersion.any(), now(), event("zero", now()))).block(WAIT);
        LogAppend original = append(CHAT, ExpectedVersion.exactly(1), now(), event(a, "a", now()), event(b, "b", now()));
        assertThat(backend.events().append(original).block(WAIT)).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(2, 3, false));
        backend.close().block(WAIT);

        LocalBackend reopened = open(dir, clock);
        try {
            long writes = reopened.writer().writes();
            clock.advance(Duration.ofMinutes(5));
            LogAppend retry = append(CHAT, ExpectedVersion.exactly(1), now(), event(a, "a", now()), event(b, "b", now()));
            assertThat(reopened.events().append(retry).block(WAIT)).as("retry of the same ids").usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(2, 3, true));
            assertThat(reopened.writer().writes()).as("a deduplicated retry writes nothing").isEqualTo(writes);
            StepVerifier.create(reopened.events().append(append(CHAT, ExpectedVersion.any(), now(), event(a, "other bytes", now()))))
                    .expectError(InvalidInputException.class).verify(WAIT);
            StepVerifier.create(reopened.events().append(append(CHAT, ExpectedVersion.any(), now(), event(a, "a", now()), event("new", now()))))
                    .expectError(InvalidInputException.class).verify(WAIT);
            assertThat(reopened.events().find(CHAT).block(WAIT).version()).isEqualTo(3);
        } finally {
            reopened.close().block(WAIT);
        }
    }

    @Test
    void deleteEventsUpToRemovesEventsAndTheirIdsButKeepsTheHead() {
        LocalBackend b = open(dir, clock);
        UUID first = UUID.randomUUID();
        try {
            b.events().append(append(CHAT, ExpectedVersion.any(), now(), event(first, "1", now()), event("2", now()), event("3", now()))).block(WAIT);
            b.events().append(append(CHAT, ExpectedVersion.any(), now(), event("4", now()), event("5", now()))).block(WAIT);

            assertThat(b.events().deleteEventsUpTo(CHAT, 3).block(WAIT)).as("deleted").isEqualTo(3);
            assertThat(b.events().deleteEventsUpTo(CHAT, 3).block(WAIT)).as("nothing left to delete").isZero();
            assertThat(b.events().deleteEventsUpTo(ThreadKey.of("absent"), 3).block(WAIT)).isZero();
            assertThat(texts(readAll(b, CHAT))).containsExactly("4", "5");
            assertThat(b.events().read(CHAT, 2, 4, 10).map(EventRecord::version).collectList().block(WAIT)).containsExactly(4L);
            assertThat(b.events().find(CHAT).block(WAIT).version()).as("head").isEqualTo(5);
            assertThat(b.events().deleteEventsUpTo(CHAT, 99).block(WAIT)).as("capped at the head").isEqualTo(2);
            assertThat(readAll(b, CHAT)).isEmpty();
            // the id went with its event, as in the memory provider: the same id is a new event now
            assertThat(b.events().append(append(CHAT, ExpectedVersion.any(), now(), event(first, "1", now()))).block(WAIT))
                    .usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(6, 6, false));
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void anExpiredThreadIsAbsentEverywhereAndAnAppendStartsANewGeneration() {
        LocalBackend b = open(dir, clock);
        UUID id = UUID.randomUUID();
        try {
            b.events().append(append(CHAT, ExpectedVersion.any(), now(), Duration.ofSeconds(10), event(id, "old", now()), event("old2", now()))).block(WAIT);
            ThreadRecord old = b.events().find(CHAT).block(WAIT);
            assertThat(old.expiresAtMillis()).isEqualTo(now() + 10_000);
            b.checkpoints().save(new StoredCheckpoint(CHAT, 2, old.generation(), now(), new byte[] {9})).block(WAIT);

            clock.advance(Duration.ofSeconds(10));
            assertThat(b.events().find(CHAT).blockOptional(WAIT)).as("find").isEmpty();
            assertThat(readAll(b, CHAT)).as("read").isEmpty();
            assertThat(b.events().list(ThreadQuery.of("default")).block(WAIT).items()).as("list").isEmpty();
            assertThat(b.changes().heads(CHAT).blockFirst(WAIT)).as("feed head").isZero();
            assertThat(b.events().deleteEventsUpTo(CHAT, 5).block(WAIT)).isZero();
            StepVerifier.create(b.events().updateMetadata(CHAT, Map.of("a", "b"), Set.of()))
                    .expectError(dev.engram.core.NotFoundException.class).verify(WAIT);

            StepVerifier.create(b.events().append(append(CHAT, ExpectedVersion.exactly(2), now(), event("late", now()))))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(dev.engram.core.VersionConflictException.class)
                            .hasMessageContaining("actual 0"))
                    .verify(WAIT);
            assertThat(b.events().append(append(CHAT, ExpectedVersion.noThread(), now(), event(id, "old", now()))).block(WAIT))
                    .as("the old id belongs to the old generation").usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false));
            ThreadRecord fresh = b.events().find(CHAT).block(WAIT);
            assertThat(fresh.generation()).isNotEqualTo(old.generation());
            assertThat(fresh.ttlMillis()).as("a new thread has no TTL unless the append gives one").isZero();
            assertThat(texts(readAll(b, CHAT))).containsExactly("old");
            assertThat(b.checkpoints().list(CHAT).collectList().block(WAIT)).as("old checkpoints removed").isEmpty();
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void theSweepRemovesExpiredThreadsFromDisk() throws Exception {
        LocalBackend b = open(dir, clock, "sweepInterval", "50ms");
        ThreadKey keep = ThreadKey.of("keep");
        try {
            b.events().append(append(CHAT, ExpectedVersion.any(), now(), Duration.ofSeconds(1), event("x", now()))).block(WAIT);
            b.events().append(append(keep, ExpectedVersion.any(), now(), event("y", now()))).block(WAIT);
            long writes = b.writer().writes();
            clock.advance(Duration.ofSeconds(2));
            Flux.interval(Duration.ofMillis(10)).filter(i -> b.writer().writes() > writes).blockFirst(WAIT);

            LocalDb db = b.db();
            byte[] prefix = LocalFormat.prefix(CHAT);
            assertThat(db.db.get(db.threads, prefix)).as("record").isNull();
            try (var it = db.db.newIterator(db.events)) {
                it.seek(prefix);
                assertThat(it.isValid() && LocalFormat.startsWith(it.key(), prefix)).as("events left").isFalse();
            }
            assertThat(b.events().find(keep).block(WAIT)).as("a live thread stays").isNotNull();
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void listingFollowsThreadCursorOrderAcrossPages() {
        LocalBackend b = open(dir, clock);
        List<ThreadKey> keys = new ArrayList<>();
        for (String id : List.of("b", "a", "a.b", "a-b", "a:b", "aa", "A", "a0", "Z@x", "a_")) {
            keys.add(ThreadKey.of(id));
            keys.add(new ThreadKey("default", id, "ns"));
        }
        keys.add(new ThreadKey("other", "a", ""));
        try {
            Flux.fromIterable(keys)
                    .concatMap(k -> b.events().append(new LogAppend(k, ExpectedVersion.any(), List.of(event("e", now())),
                            Map.of("parity", k.namespace().isEmpty() ? "even" : "odd"), null, now())))
                    .blockLast(WAIT);
            b.events().append(append(ThreadKey.of("a.c"), ExpectedVersion.any(), now(), Duration.ofSeconds(1), event("e", now()))).block(WAIT);
            clock.advance(Duration.ofSeconds(1));

            List<ThreadKey> expected = keys.stream().filter(k -> k.tenant().equals("default")).sorted(ThreadCursor.ORDER).toList();
            assertThat(listAll(b, ThreadQuery.of("default").limit(3))).as("all pages, in order, expired left out").isEqualTo(expected);
            assertThat(listAll(b, ThreadQuery.of("default").withMetadata("parity", "odd").limit(4)))
                    .isEqualTo(expected.stream().filter(k -> k.namespace().equals("ns")).toList());
            assertThat(listAll(b, ThreadQuery.of("other"))).containsExactly(new ThreadKey("other", "a", ""));
            assertThat(listAll(b, ThreadQuery.of("nobody"))).isEmpty();
        } finally {
            b.close().block(WAIT);
        }
    }

    private List<ThreadKey> listAll(LocalBackend b, ThreadQuery query) {
        List<ThreadKey> all = new ArrayList<>();
        ThreadQuery q = query;
        while (true) {
            Page<ThreadRecord> page = b.events().list(q).block(WAIT);
            page.items().forEach(r -> all.add(r.key()));
            if (page.next() == null) {
                return all;
            }
            q = q.after(page.next());
        }
    }

    @Test
    void deletingAThreadRemovesItsEventsIdsAndCheckpointsOnly() {
        LocalBackend b = open(dir, clock);
        ThreadKey sibling = ThreadKey.of("chat-10");
        ThreadKey namespaced = CHAT.withNamespace("sub");
        UUID id = UUID.randomUUID();
        try {
            for (ThreadKey k : List.of(CHAT, sibling, namespaced)) {
                b.events().append(append(k, ExpectedVersion.any(), now(), event(k.equals(CHAT) ? id : UUID.randomUUID(), "e", now()))).block(WAIT);
                b.checkpoints().save(new StoredCheckpoint(k, 1, 1, now(), new byte[] {1})).block(WAIT);
            }
            assertThat(b.events().delete(CHAT).block(WAIT)).isTrue();
            assertThat(b.events().delete(CHAT).block(WAIT)).isFalse();
            assertThat(b.events().find(CHAT).blockOptional(WAIT)).isEmpty();
            assertThat(b.checkpoints().list(CHAT).collectList().block(WAIT)).isEmpty();
            assertThat(b.events().append(append(CHAT, ExpectedVersion.noThread(), now(), event(id, "e", now()))).block(WAIT))
                    .usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false));
            for (ThreadKey k : List.of(sibling, namespaced)) {
                assertThat(readAll(b, k)).hasSize(1);
                assertThat(b.checkpoints().list(k).map(CheckpointMeta::version).collectList().block(WAIT)).containsExactly(1L);
            }
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void checkpointsAreListedNewestFirstWithTheirSizes() {
        LocalBackend b = open(dir, clock);
        try {
            for (long v : new long[] {5, 300, 40}) {
                b.checkpoints().save(new StoredCheckpoint(CHAT, v, 7, now() + v, new byte[(int) v])).block(WAIT);
            }
            b.checkpoints().save(new StoredCheckpoint(CHAT, 40, 8, now(), new byte[3])).block(WAIT);
            b.checkpoints().delete(CHAT, 5).block(WAIT);
            assertThat(b.checkpoints().list(CHAT).collectList().block(WAIT)).containsExactly(
                    new CheckpointMeta(CHAT, 300, 7, now() + 300, 300), new CheckpointMeta(CHAT, 40, 8, now(), 3));
            assertThat(b.checkpoints().load(CHAT, 5).blockOptional(WAIT)).isEmpty();
            b.checkpoints().deleteAll(CHAT).block(WAIT);
            assertThat(b.checkpoints().list(CHAT).collectList().block(WAIT)).isEmpty();
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void aCorruptStoredValueIsReportedAsCorruptData() throws Exception {
        LocalBackend b = open(dir, clock);
        try {
            b.db().db.put(b.db().threads, LocalFormat.prefix(CHAT), new byte[] {42, 0});
            StepVerifier.create(b.events().find(CHAT)).expectError(CorruptDataException.class).verify(WAIT);
        } finally {
            b.close().block(WAIT);
        }
    }

    @Test
    void closeFinishesQueuedAppendsThenRefusesWorkWhileReadsInFlightEndCleanly() {
        LocalBackend b = open(dir, clock);
        b.events().append(append(CHAT, ExpectedVersion.any(), now(), event("seed", now()))).block(WAIT);
        List<Mono<LogAppended>> appends = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            appends.add(b.events().append(append(ThreadKey.of("t-" + i), ExpectedVersion.any(), now(), event("e" + i, now()))).cache());
        }
        appends.forEach(Mono::subscribe);
        List<Mono<List<EventRecord>>> reads = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            reads.add(b.events().read(CHAT, 1, 10, 10).collectList().onErrorResume(BackendUnavailableException.class, e -> Mono.just(List.of())).cache());
        }
        reads.forEach(Mono::subscribe);
        b.close().block(WAIT);

        for (Mono<LogAppended> a : appends) {
            assertThat(a.block(WAIT)).as("queued before close, acknowledged").usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false));
        }
        for (Mono<List<EventRecord>> r : reads) {
            assertThat(r.block(WAIT)).hasSizeLessThanOrEqualTo(1);
        }
        StepVerifier.create(b.events().append(append(CHAT, ExpectedVersion.any(), now(), event("late", now()))))
                .expectError(BackendUnavailableException.class).verify(WAIT);
        StepVerifier.create(b.events().find(CHAT)).expectError(BackendUnavailableException.class).verify(WAIT);
        b.close().block(WAIT);
    }

    @Test
    void invalidOptionsFailAtCreate() {
        assertThatThrownBy(() -> open(dir, clock, "sync", "sometimes")).isInstanceOf(ConfigurationException.class).hasMessageContaining("local.sync");
        assertThatThrownBy(() -> open(dir, clock, "maxBatch", "0")).isInstanceOf(ConfigurationException.class).hasMessageContaining("maxBatch");
        assertThatThrownBy(() -> open(dir, clock, "syncInterval", "0ms")).isInstanceOf(ConfigurationException.class);
    }
}
