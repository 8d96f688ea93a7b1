package dev.engram.backend.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.ConfigurationException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.NotFoundException;
import dev.engram.core.PayloadTooLargeException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import reactor.test.StepVerifier;

/** The event log and checkpoint store on the in-process server, at the SPI level, for what is MongoDB's own. */
class MongoEventLogIT {

    private static MongoTestServer server;
    private final MutableClock clock = new MutableClock(1_700_000_000_000L);
    private String database;
    private Backend backend;
    private EventLog log;

    @BeforeAll
    static void startServer() {
        server = MongoTestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @BeforeEach
    void open(TestInfo info) {
        database = "log_" + info.getTestMethod().orElseThrow().getName();
        backend = server.backend(database, clock);
        log = backend.events();
    }

    @AfterEach
    void close() {
        backend.close().block();
    }

    static EventRecord event(String type, int size) {
        byte[] data = new byte[size];
        Arrays.fill(data, (byte) type.hashCode());
        return new EventRecord(0, UUID.randomUUID(), type, 0, data);
    }

    LogAppend append(ThreadKey key, ExpectedVersion expected, List<EventRecord> events, Duration ttl) {
        return new LogAppend(key, expected, events, Map.of("owner", "ann", "a.b$c%", "odd key"), ttl, clock.millis());
    }

    @Test
    void appendsReadsAndDeduplicatesARetry() {
        ThreadKey key = ThreadKey.of("t1");
        List<EventRecord> batch = List.of(event("a", 10), event("b", 20), event("c", 30));
        LogAppended created = log.append(append(key, ExpectedVersion.noThread(), batch, null)).block();
        assertThat(created).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 3, false));
        assertThat(log.append(append(key, ExpectedVersion.exactly(3), List.of(event("d", 1)), null)).block())
                .as("only the append that creates the thread reports the generation").isEqualTo(new LogAppended(4, 4, false));
        assertThat(log.append(append(key, ExpectedVersion.noThread(), batch, null)).block())
                .as("the same ids and bytes again, whatever the expectation").isEqualTo(new LogAppended(1, 3, true));
        List<EventRecord> read = log.read(key, 2, Long.MAX_VALUE, 10).collectList().block();
        assertThat(read).extracting(EventRecord::version).containsExactly(2L, 3L, 4L);
        assertThat(read.get(0).samePayload(batch.get(1))).isTrue();
        assertThat(log.read(key, 1, 2, 10).collectList().block()).hasSize(2);
        assertThat(log.read(key, 1, 99, 1).collectList().block()).hasSize(1);

        ThreadRecord record = log.find(key).block();
        assertThat(record.version()).isEqualTo(4);
        assertThat(created.generation()).as("the new thread's generation, reported on creation").isEqualTo(record.generation());
        assertThat(record.metadata()).containsEntry("owner", "ann").containsEntry("a.b$c%", "odd key");
    }

    @Test
    void refusesMixedRetriesAndConflictsWithTheActualHead() {
        ThreadKey key = ThreadKey.of("t2");
        EventRecord a = event("a", 5);
        log.append(append(key, ExpectedVersion.any(), List.of(a), null)).block();
        assertThatThrownBy(() -> log.append(append(key, ExpectedVersion.any(), List.of(a, event("b", 5)), null)).block())
                .isInstanceOf(InvalidInputException.class);
        EventRecord changed = new EventRecord(0, a.eventId(), "a", 0, new byte[] {9});
        assertThatThrownBy(() -> log.append(append(key, ExpectedVersion.any(), List.of(changed), null)).block())
                .isInstanceOf(InvalidInputException.class);
        assertThatThrownBy(() -> log.append(append(key, ExpectedVersion.exactly(7), List.of(event("c", 1)), null)).block())
                .isInstanceOfSatisfying(VersionConflictException.class, e -> assertThat(e.actual()).isEqualTo(1));
        assertThat(log.read(key, 1, 99, 99).count().block()).isEqualTo(1);
    }

    @Test
    void anExpiredThreadIsAbsentAndStartsAgainWithANewGeneration() {
        ThreadKey key = ThreadKey.of("t3");
        log.append(append(key, ExpectedVersion.noThread(), List.of(event("a", 1), event("b", 1)), Duration.ofMinutes(10))).block();
        long generation = log.find(key).block().generation();
        clock.advance(Duration.ofMinutes(9));
        log.append(append(key, ExpectedVersion.exactly(2), List.of(event("c", 1)), null)).block();
        assertThat(log.find(key).block().expiresAtMillis()).as("null TTL keeps the thread's, refreshed").isEqualTo(clock.millis() + 600_000);
        clock.advance(Duration.ofMinutes(10));
        StepVerifier.create(log.find(key)).verifyComplete();
        StepVerifier.create(log.read(key, 1, 99, 99)).verifyComplete();
        assertThat(log.list(ThreadQuery.of("default")).block().items()).isEmpty();
        assertThatThrownBy(() -> log.append(append(key, ExpectedVersion.exactly(3), List.of(event("d", 1)), null)).block())
                .isInstanceOfSatisfying(VersionConflictException.class, e -> assertThat(e.actual()).isZero());
        LogAppended recreated = log.append(append(key, ExpectedVersion.noThread(), List.of(event("e", 1)), null)).block();
        assertThat(recreated).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false));
        ThreadRecord renewed = log.find(key).block();
        assertThat(renewed.generation()).isNotEqualTo(generation);
        assertThat(recreated.generation()).as("the new generation, reported on creation").isEqualTo(renewed.generation());
        assertThat(renewed.ttlMillis()).as("a new thread has no TTL unless the append gives one").isZero();
        assertThat(log.read(key, 1, 99, 99).map(EventRecord::type).collectList().block()).containsExactly("e");
    }

    @Test
    void deletesTheThreadAndRetentionKeepsTheHead() {
        ThreadKey key = ThreadKey.of("t4");
        for (int i = 0; i < 5; i++) {
            log.append(append(key, ExpectedVersion.any(), List.of(event("x", 1), event("y", 1)), null)).block();
        }
        assertThat(log.deleteEventsUpTo(key, 3).block()).isEqualTo(3);
        assertThat(log.deleteEventsUpTo(key, 3).block()).isZero();
        assertThat(log.read(key, 1, 99, 99).map(EventRecord::version).collectList().block()).containsExactly(4L, 5L, 6L, 7L, 8L, 9L, 10L);
        assertThat(log.deleteEventsUpTo(key, 99).block()).isEqualTo(7);
        assertThat(log.find(key).block().version()).isEqualTo(10);
        assertThat(log.append(append(key, ExpectedVersion.exactly(10), List.of(event("z", 1)), null)).block().firstVersion()).isEqualTo(11);

        assertThat(log.delete(key).block()).isTrue();
        assertThat(log.delete(key).block()).isFalse();
        StepVerifier.create(log.find(key)).verifyComplete();
        assertThat(log.append(append(key, ExpectedVersion.noThread(), List.of(event("n", 1)), null)).block().firstVersion()).isEqualTo(1);
        assertThatThrownBy(() -> log.updateMetadata(ThreadKey.of("nope"), Map.of("a", "b"), Set.of()).block())
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void oneEventCommitsHoldTheirIdAsAString() {
        ThreadKey key = ThreadKey.of("ids");
        EventRecord a = event("a", 1);
        EventRecord b = event("b", 1);
        log.append(append(key, ExpectedVersion.noThread(), List.of(a), null)).block();
        log.append(append(key, ExpectedVersion.exactly(1), List.of(b, event("c", 1)), null)).block();
        assertThat(commit(key, 1).get("ids")).isEqualTo(a.eventId().toString());
        assertThat(commit(key, 2).get("ids")).isEqualTo(List.of(b.eventId().toString(), log.read(key, 3, 3, 1).blockFirst().eventId().toString()));

        assertThat(log.append(append(key, ExpectedVersion.any(), List.of(a), null)).block())
                .as("a retry of the one-event append").isEqualTo(new LogAppended(1, 1, true));
        assertThatThrownBy(() -> log.append(append(key, ExpectedVersion.any(), List.of(event("d", 1), a), null)).block())
                .as("its id inside a longer append").isInstanceOf(InvalidInputException.class);
        assertThat(log.append(append(key, ExpectedVersion.any(), List.of(b), null)).block())
                .as("an id of a longer append, alone: found in its list").isEqualTo(new LogAppended(2, 2, true));
        assertThat(log.read(key, 1, 99, 99).count().block()).isEqualTo(3);
    }

    @Test
    void idsRetentionHidButLeftAreFreeAgain() {
        ThreadKey key = ThreadKey.of("leftover");
        EventRecord a = event("a", 1);
        EventRecord d = event("d", 1);
        log.append(append(key, ExpectedVersion.noThread(), List.of(a), null)).block();
        log.append(append(key, ExpectedVersion.exactly(1), List.of(event("b", 1)), null)).block();
        log.append(append(key, ExpectedVersion.exactly(2), List.of(d, event("e", 1)), null)).block();
        // the watermark moves, then the removal of the commits it covers fails
        server.refuse("delete", "commits");
        try {
            assertThatThrownBy(() -> log.deleteEventsUpTo(key, 3).block()).isInstanceOf(BackendUnavailableException.class);
        } finally {
            server.serveAll();
        }
        assertThat(commit(key, 1)).as("left behind").isNotNull();
        assertThat(log.read(key, 1, 99, 99).map(EventRecord::version).collectList().block()).containsExactly(4L);

        assertThat(log.append(append(key, ExpectedVersion.any(), List.of(a), null)).block())
                .as("a's event is gone, so its id is new again").isEqualTo(new LogAppended(5, 5, false));
        assertThat(commit(key, 1)).as("the covered commit, removed as retention would have").isNull();
        assertThat(log.append(append(key, ExpectedVersion.any(), List.of(d), null)).block())
                .as("d's id, released from the commit that straddles the watermark").isEqualTo(new LogAppended(6, 6, false));
        assertThat(commit(key, 3).get("ids")).as("what the straddler still holds").isEqualTo(List.of(
                log.read(key, 4, 4, 1).blockFirst().eventId().toString()));
        assertThat(log.read(key, 1, 99, 99).map(EventRecord::type).collectList().block()).containsExactly("e", "a", "d");
    }

    @Test
    void aUserWithoutTheRolesIsAConfigurationError() {
        ThreadKey key = ThreadKey.of("denied");
        server.unauthorized("insert", "commits");
        try {
            StepVerifier.create(log.append(append(key, ExpectedVersion.any(), List.of(event("a", 1)), null)))
                    .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(ConfigurationException.class)
                            .hasMessageContaining("refused the configured credentials").hasMessageContaining("not authorized"))
                    .verify(Duration.ofSeconds(10));
        } finally {
            server.serveAll();
        }
        assertThat(log.append(append(key, ExpectedVersion.any(), List.of(event("b", 1)), null)).block())
                .as("once the user may write, the thread starts at version 1").usingRecursiveComparison().ignoringFields("generation")
                .isEqualTo(new LogAppended(1, 1, false));
    }

    /** The commit of {@code key}'s generation whose first version is {@code first}, as stored; null when there is none. */
    private de.bwaldvogel.mongo.bson.Document commit(ThreadKey key, long first) {
        long generation = log.find(key).block().generation();
        List<de.bwaldvogel.mongo.bson.Document> found = server.documents(database, "engram_commits",
                new de.bwaldvogel.mongo.bson.Document("_id", ThreadDocuments.id(key) + "/" + generation + "/" + first));
        return found.isEmpty() ? null : found.get(0);
    }

    @Test
    void listsByThreadAndNamespaceWithMetadataFiltersAndCursor() {
        List<String> ids = List.of("b", "B", "a.", "a-", "a", "Z", "_x", "0", "a_b", "ab");
        for (String id : ids) {
            for (String ns : List.of("", "n2", "n1")) {
                log.append(append(new ThreadKey("ten", id, ns), ExpectedVersion.any(), List.of(event("m", 1)), null)).block();
            }
        }
        log.append(append(new ThreadKey("other", "a", ""), ExpectedVersion.any(), List.of(event("m", 1)), null)).block();
        log.updateMetadata(new ThreadKey("ten", "ab", "n1"), Map.of("team", "red", "owner", "bob"), Set.of("a.b$c%")).block();

        List<ThreadKey> all = new ArrayList<>();
        String cursor = null;
        do {
            Page<ThreadRecord> page = log.list(new ThreadQuery("ten", Map.of(), cursor, 4)).block();
            page.items().forEach(r -> all.add(r.key()));
            cursor = page.next();
        } while (cursor != null);
        List<ThreadKey> expected = new ArrayList<>(all);
        expected.sort(dev.engram.core.spi.support.ThreadCursor.ORDER);
        assertThat(all).hasSize(30).containsExactlyElementsOf(expected);

        Page<ThreadRecord> red = log.list(new ThreadQuery("ten", Map.of("team", "red", "owner", "bob"), null, 10)).block();
        assertThat(red.items()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo(new ThreadKey("ten", "ab", "n1"));
            assertThat(r.metadata()).doesNotContainKey("a.b$c%");
        });
        assertThat(log.list(new ThreadQuery("ten", Map.of("a.b$c%", "odd key"), null, 100)).block().items()).hasSize(29);
    }

    @Test
    void listsFindsAndWatchesHeadsThatTheRecordDoesNotHaveYet() {
        ThreadKey key = ThreadKey.of("behind");
        log.append(append(key, ExpectedVersion.noThread(), List.of(event("a", 1)), null)).block();
        Backend other = server.backend(database, clock);
        // the record keeps the head of the first append: its updates (the write-behind's) are refused
        server.refuse("update", "threads");
        try {
            // more appends than the first step of a walk along the commits asks for
            for (long v = 2; v <= 9; v++) {
                clock.advance(Duration.ofSeconds(1));
                log.append(append(key, ExpectedVersion.exactly(v - 1), List.of(event("e" + v, 1)), null)).block();
            }
            assertThat(server.documents(database, "engram_threads", new de.bwaldvogel.mongo.bson.Document("_id", "default/behind/")))
                    .singleElement().satisfies(r -> assertThat(r.get("head")).isEqualTo(1L));
            for (EventLog l : List.of(log, other.events())) {
                assertThat(l.list(ThreadQuery.of("default")).block().items()).as("listed right after the appends").singleElement()
                        .satisfies(r -> {
                            assertThat(r.version()).isEqualTo(9);
                            assertThat(r.updatedAtMillis()).as("the time of the last append").isEqualTo(clock.millis());
                        });
                assertThat(l.find(key).block()).satisfies(r -> {
                    assertThat(r.version()).isEqualTo(9);
                    assertThat(r.updatedAtMillis()).isEqualTo(clock.millis());
                });
            }
            StepVerifier.create(other.changes().heads(key).filter(h -> h >= 10).take(1))
                    .as("another process's poller follows the commits")
                    .then(() -> log.append(append(key, ExpectedVersion.exactly(9), List.of(event("e10", 1)), null)).block())
                    .expectNext(10L)
                    .expectComplete()
                    .verify(Duration.ofSeconds(10));
        } finally {
            server.serveAll();
            other.close().block();
        }
    }

    @Test
    void splitsAnAppendOverManyDocumentsAndReadsItWhole() {
        ThreadKey key = ThreadKey.of("big");
        List<EventRecord> batch = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            batch.add(event("e" + i, 1024 * 1024 - 200));
        }
        assertThat(log.append(append(key, ExpectedVersion.noThread(), batch, null)).block())
                .usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 40, false));
        assertThat(log.append(append(key, ExpectedVersion.noThread(), batch, null)).block().deduplicated()).isTrue();
        List<EventRecord> read = log.read(key, 1, 99, 99).collectList().block();
        assertThat(read).hasSize(40);
        for (int i = 0; i < 40; i++) {
            assertThat(read.get(i).version()).isEqualTo(i + 1);
            assertThat(read.get(i).samePayload(batch.get(i))).isTrue();
        }
        assertThat(log.read(key, 20, 21, 99).map(EventRecord::type).collectList().block()).containsExactly("e19", "e20");

        assertThatThrownBy(() -> log.append(append(key, ExpectedVersion.any(), List.of(event("huge", 17 * 1024 * 1024)), null)).block())
                .isInstanceOf(PayloadTooLargeException.class).hasMessageContaining("16 MiB");
        assertThat(log.find(key).block().version()).isEqualTo(40);
    }

    @Test
    void storesCheckpointsSmallAndLarge() {
        ThreadKey key = ThreadKey.of("cp");
        byte[] big = new byte[20 * 1024 * 1024];
        new java.util.Random(1).nextBytes(big);
        var checkpoints = backend.checkpoints();
        checkpoints.save(new StoredCheckpoint(key, 10, 7, 1, new byte[] {1, 2})).block();
        checkpoints.save(new StoredCheckpoint(key, 20, 7, 2, big)).block();
        checkpoints.save(new StoredCheckpoint(key, 20, 7, 3, big)).block();
        assertThat(checkpoints.list(key).map(m -> m.version() + ":" + m.sizeBytes()).collectList().block())
                .containsExactly("20:" + big.length, "10:2");
        assertThat(checkpoints.load(key, 20).block().data()).isEqualTo(big);
        assertThat(checkpoints.load(key, 10).block().data()).containsExactly(1, 2);
        StepVerifier.create(checkpoints.load(key, 11)).verifyComplete();
        checkpoints.delete(key, 10).block();
        assertThat(checkpoints.list(key).count().block()).isEqualTo(1);
        checkpoints.deleteAll(key).block();
        assertThat(checkpoints.list(key).count().block()).isZero();
    }

    /** A clock tests move by hand. */
    static final class MutableClock extends Clock {
        private final AtomicLong millis;

        MutableClock(long start) {
            millis = new AtomicLong(start);
        }

        void advance(Duration d) {
            millis.addAndGet(d.toMillis());
        }

        @Override
        public long millis() {
            return millis.get();
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis());
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
