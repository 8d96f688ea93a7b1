package dev.engram.backend.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.Engram;
import dev.engram.core.VersionConflictException;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.Change;
import dev.engram.core.model.Event;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.model.ThreadUpdate;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** Racing writers, racing retries, two engines over one server, and deployments that share a server. */
class MongoConcurrencyIT {

    private static MongoTestServer server;

    @BeforeAll
    static void startServer() {
        server = MongoTestServer.start();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private static EventRecord event(String type) {
        return new EventRecord(0, UUID.randomUUID(), type, 0, type.getBytes());
    }

    private static LogAppend append(ThreadKey key, ExpectedVersion expected, List<EventRecord> events) {
        return new LogAppend(key, expected, events, Map.of(), null, System.currentTimeMillis());
    }

    /**
     * Sixteen backends (sixteen clients, as sixteen processes would have: a backend queues its own appends to one thread,
     * so the race is between backends, on the unique index). 1000 rounds over 100 threads of 10 rounds each.
     */
    @Test
    void exactlyOneOf16WritersWinsEachOf1000Rounds() {
        List<Backend> writers = new java.util.ArrayList<>();
        for (int i = 0; i < 16; i++) {
            writers.add(server.backend("race", Clock.systemUTC()));
        }
        long started = System.nanoTime();
        for (int round = 0; round < 1000; round++) {
            ThreadKey key = ThreadKey.of("raced-" + round / 10);
            long expected = round % 10;
            List<Object> outcomes = Flux.range(0, 16)
                    .flatMap(i -> writers.get(i).events().append(append(key, ExpectedVersion.exactly(expected), List.of(event("w" + i))))
                            .<Object>map(r -> r)
                            .onErrorResume(VersionConflictException.class, e -> Mono.just(e.actual())), 16)
                    .collectList().block();
            assertThat(outcomes.stream().filter(o -> o instanceof LogAppended).toList())
                    .as("round %d", round).singleElement()
                    .usingRecursiveComparison().ignoringFields("generation")
                    .isEqualTo(new LogAppended(expected + 1, expected + 1, false));
            assertThat(outcomes.stream().filter(o -> o instanceof Long).toList()).as("losers see the winner's head")
                    .hasSize(15).containsOnly(expected + 1);
        }
        System.out.printf("16 writers x 1000 rounds: %d ms%n", (System.nanoTime() - started) / 1_000_000);
        for (int t = 0; t < 100; t++) {
            assertThat(writers.get(t % 16).events().read(ThreadKey.of("raced-" + t), 1, Long.MAX_VALUE, 100)
                    .map(EventRecord::version).collectList().block())
                    .containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
        }
        writers.forEach(w -> w.close().block());
    }

    @Test
    void retriesOfTheSameEventsNeverDuplicateEvenWhenTheyRace() {
        Backend one = server.backend("retries", Clock.systemUTC());
        Backend two = server.backend("retries", Clock.systemUTC());
        long total = 0;
        for (int round = 0; round < 200; round++) {
            ThreadKey key = ThreadKey.of("retried" + round % 10);
            List<EventRecord> batch = List.of(event("a"), event("b"), event("c"));
            LogAppend a = append(key, ExpectedVersion.any(), batch);
            // racing "lost acknowledgement" retries of one append, and a stranger's append in between
            List<LogAppended> results = Flux.merge(
                            Flux.range(0, 6).flatMap(i -> (i % 2 == 0 ? one : two).events().append(a)),
                            one.events().append(append(key, ExpectedVersion.any(), List.of(event("x")))).then(Mono.<LogAppended>empty()))
                    .collectList().block();
            total += 4;
            assertThat(results).hasSize(6);
            assertThat(results.stream().filter(r -> !r.deduplicated()).count()).as("round %d", round).isEqualTo(1);
            assertThat(results.stream().map(r -> r.firstVersion() + ".." + r.lastVersion()).distinct()).hasSize(1);
        }
        List<EventRecord> all = Flux.range(0, 10)
                .concatMap(i -> one.events().read(ThreadKey.of("retried" + i), 1, Long.MAX_VALUE, 10_000)).collectList().block();
        assertThat(all).hasSize((int) total);
        Set<UUID> ids = new HashSet<>();
        all.forEach(e -> assertThat(ids.add(e.eventId())).isTrue());
        one.close().block();
        two.close().block();
    }

    /**
     * This backend trusts the generation and head it last wrote; another one deletes the thread under it, between two
     * appends, or between an append's commit and the read of the record that would acknowledge it.
     */
    @Test
    void anAppendNeverLandsInAGenerationThatEndedUnderIt() {
        Backend one = server.backend("ended", Clock.systemUTC());
        Backend two = server.backend("ended", Clock.systemUTC());
        ThreadKey key = ThreadKey.of("deleted");
        long dead = one.events().append(append(key, ExpectedVersion.noThread(), List.of(event("a")))).block().generation();
        one.events().append(append(key, ExpectedVersion.exactly(1), List.of(event("b")))).block();
        assertThat(two.events().delete(key).block()).isTrue();
        assertThatThrownBy(() -> one.events().append(append(key, ExpectedVersion.exactly(2), List.of(event("c")))).block())
                .isInstanceOfSatisfying(VersionConflictException.class, e -> assertThat(e.actual()).isZero());
        assertThat(server.documents("ended", "engram_commits", new de.bwaldvogel.mongo.bson.Document("g", dead)))
                .as("nothing left in the deleted generation").isEmpty();
        LogAppended created = one.events().append(append(key, ExpectedVersion.any(), List.of(event("d")))).block();
        assertThat(created.firstVersion()).isEqualTo(1);
        assertThat(created.generation()).isNotEqualTo(dead);
        assertThat(two.events().read(key, 1, 99, 99).map(EventRecord::type).collectList().block()).containsExactly("d");

        ThreadKey raced = ThreadKey.of("raced");
        long ended = one.events().append(append(raced, ExpectedVersion.noThread(), List.of(event("x")))).block().generation();
        one.events().append(append(raced, ExpectedVersion.exactly(1), List.of(event("y")))).block();
        // the next read of a record is the one that would acknowledge the next commit: the record goes just before it
        server.before("find", "threads", db -> db.resolveCollection("engram_threads", false)
                .deleteDocuments(new de.bwaldvogel.mongo.bson.Document("_id", "default/raced/"), 1));
        LogAppended again = one.events().append(append(raced, ExpectedVersion.any(), List.of(event("z")))).block();
        assertThat(again.firstVersion()).as("appended again, to a new thread").isEqualTo(1);
        assertThat(again.generation()).isNotEqualTo(ended);
        assertThat(server.documents("ended", "engram_commits", new de.bwaldvogel.mongo.bson.Document("_id", "default/raced//" + ended + "/3")))
                .as("the commit written to the ended generation was deleted").isEmpty();
        assertThat(two.events().read(raced, 1, 99, 99).map(EventRecord::type).collectList().block()).containsExactly("z");
        one.close().block();
        two.close().block();
    }

    @Test
    void twoEnginesSeeEachOthersAppendsThroughWatch() {
        EngramConfig config = EngramConfig.defaults().withProvider(MongoProvider.NAME).withStrict(true)
                .withProviderOption("mongodb", "url", server.url())
                .withProviderOption("mongodb", "database", "watch")
                .withProviderOption("mongodb", "pollInterval", "20ms");
        try (Engram a = Engram.open(config); Engram b = Engram.open(config)) {
            Flux<Event> seen = a.thread("shared").watch(1).flatMapIterable(ThreadUpdate::events);
            StepVerifier.create(seen.map(e -> e.version()).take(4))
                    .then(() -> b.thread("shared").append(Change.message(Message.user("one"))).block())
                    .expectNext(1L)
                    .then(() -> Flux.range(0, 3).concatMap(i -> b.thread("shared").append(Change.message(Message.user("m" + i)))).blockLast())
                    .expectNext(2L, 3L, 4L)
                    .expectComplete()
                    .verify(Duration.ofSeconds(10));
            StepVerifier.create(b.thread("shared").watch(5).map(u -> u.events().get(0).version()).take(1))
                    .then(() -> a.thread("shared").append(Change.message(Message.user("back"))).block())
                    .expectNext(5L)
                    .expectComplete()
                    .verify(Duration.ofSeconds(10));
        }
    }

    @Test
    void deploymentsOnOneServerNeverSeeEachOther() {
        Backend first = server.backend("iso", Clock.systemUTC());
        Backend samePrefixOtherDb = server.backend("iso2", Clock.systemUTC());
        Backend otherPrefix = server.backend("iso", Clock.systemUTC(), "collectionPrefix", "other_");
        ThreadKey key = ThreadKey.of("mine");
        first.events().append(append(key, ExpectedVersion.noThread(), List.of(event("a")))).block();
        for (Backend other : List.of(samePrefixOtherDb, otherPrefix)) {
            StepVerifier.create(other.events().find(key)).verifyComplete();
            StepVerifier.create(other.events().read(key, 1, 99, 99)).verifyComplete();
            assertThat(other.events().list(ThreadQuery.of("default")).block().items()).isEmpty();
            assertThat(other.events().append(append(key, ExpectedVersion.noThread(), List.of(event("b")))).block().firstVersion()).isEqualTo(1);
        }
        assertThat(first.events().read(key, 1, 99, 99).map(EventRecord::type).collectList().block()).containsExactly("a");
        for (Backend b : List.of(first, samePrefixOtherDb, otherPrefix)) {
            b.ping().block();
            b.close().block();
        }
    }
}
