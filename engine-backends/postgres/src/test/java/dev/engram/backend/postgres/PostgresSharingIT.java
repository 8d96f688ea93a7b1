package dev.engram.backend.postgres;

import static dev.engram.backend.postgres.LocalPostgres.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.Event;
import dev.engram.core.model.Message;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.model.ThreadUpdate;
import dev.engram.core.spi.Backend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Engines over one server: one schema is shared, two schemas never mix, and servers starting together migrate once. */
class PostgresSharingIT {

    private final List<String> schemas = new ArrayList<>();
    private final List<Engram> engines = new ArrayList<>();

    @BeforeEach
    void requireServer() {
        LocalPostgres.requireRunning();
    }

    @AfterEach
    void cleanUp() {
        engines.forEach(Engram::close);
        schemas.forEach(LocalPostgres::dropSchema);
    }

    private String schema() {
        String s = LocalPostgres.newSchema();
        schemas.add(s);
        return s;
    }

    private Engram open(String schema) {
        Engram e = Engram.open(LocalPostgres.config(schema).withStrict(true));
        engines.add(e);
        return e;
    }

    @Test
    void twoEnginesSeeEachOthersAppendsThroughWatch() {
        String schema = schema();
        Engram a = open(schema);
        Engram b = open(schema);
        ThreadKey key = ThreadKey.of("shared-" + UUID.randomUUID());
        a.thread(key).append(Change.message(Message.user("from a, before the watch"))).block(TIMEOUT);

        b.thread(key).watch(1)
                .flatMapIterable(ThreadUpdate::events)
                .map(Event::version)
                .as(StepVerifier::create)
                .expectNext(1L).as("catch-up from the other engine's append")
                .then(() -> a.thread(key).append(Change.message(Message.user("from a, live"))).subscribe())
                .expectNext(2L).as("a live append of the other engine, through NOTIFY")
                .then(() -> b.thread(key).append(Change.message(Message.user("from b"))).subscribe())
                .expectNext(3L).as("its own append")
                .thenCancel()
                .verify(TIMEOUT);

        a.thread(key).watch(3).flatMapIterable(ThreadUpdate::events).map(Event::version).as(StepVerifier::create)
                .expectNext(3L)
                .then(() -> Flux.range(0, 20).flatMap(i -> b.thread(key).append(Change.message(Message.user("burst " + i)))
                        .subscribeOn(Schedulers.parallel())).subscribe())
                .expectNextSequence(List.of(4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L, 19L, 20L, 21L, 22L, 23L))
                .as("a burst of the other engine, in order, without a gap")
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void twoSchemasNeverMix() {
        Engram left = open(schema());
        Engram right = open(schema());
        ThreadKey key = ThreadKey.of("same-id");
        left.thread(key).append(Change.message(Message.user("left"))).block(TIMEOUT);
        right.thread(key).append(Change.message(Message.user("right 1"))).block(TIMEOUT);
        right.thread(key).append(Change.message(Message.user("right 2"))).block(TIMEOUT);

        left.thread(key).info().map(ThreadInfo::version).as(StepVerifier::create).expectNext(1L).verifyComplete();
        right.thread(key).info().map(ThreadInfo::version).as(StepVerifier::create).expectNext(2L).verifyComplete();
        left.threads(ThreadQuery.of(ThreadKey.DEFAULT_TENANT)).map(p -> p.items().size()).as(StepVerifier::create)
                .expectNext(1).verifyComplete();
        left.thread(key).watch(2).as(StepVerifier::create)
                .then(() -> right.thread(key).append(Change.message(Message.user("right 3"))).block(TIMEOUT))
                .as("the other schema's notifications are not this one's")
                .expectNoEvent(Duration.ofMillis(500))
                .thenCancel()
                .verify(TIMEOUT);
        left.thread(key).delete().block(TIMEOUT);
        right.thread(key).info().map(ThreadInfo::version).as(StepVerifier::create).expectNext(3L).verifyComplete();
    }

    @Test
    void serversStartingTogetherMigrateTheSchemaOnce() {
        String schema = schema();
        List<Backend> backends = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            backends.add(LocalPostgres.backend(schema, Map.of()));
        }
        try {
            Flux.fromIterable(backends).flatMap(b -> b.ping().subscribeOn(Schedulers.parallel())).then().block(TIMEOUT);
            assertThat(LocalPostgres.sql("SELECT version || ':' || description FROM \"" + schema + "\".engram_migrations ORDER BY version"))
                    .as("each migration recorded once")
                    .containsExactlyElementsOf(PostgresMigrations.ALL.stream().map(m -> m.version() + ":" + m.description()).toList());
        } finally {
            Flux.fromIterable(backends).flatMap(Backend::close).then().block(TIMEOUT);
        }
        Backend again = LocalPostgres.backend(schema, Map.of());
        try {
            again.ping().block(TIMEOUT);
            assertThat(LocalPostgres.sql("SELECT count(*) FROM \"" + schema + "\".engram_migrations"))
                    .containsExactly(String.valueOf(PostgresMigrations.ALL.size()));
        } finally {
            again.close().block(TIMEOUT);
        }
    }

    @Test
    void listingFollowsStringOrderWhateverTheDatabaseCollation() {
        Engram engram = open(schema());
        String tenant = "order-" + UUID.randomUUID();
        List<String> ids = new ArrayList<>(List.of("b", "B", "a", "A", "_x", "-x", ".x", "@x", ":x", "0", "9", "a-b", "a.b", "a_b", "aa", "Z"));
        for (String id : ids) {
            engram.thread(ThreadKey.of(tenant, id)).append(Change.message(Message.user(id))).block(TIMEOUT);
        }
        engram.thread(new ThreadKey(tenant, "a", "ns")).append(Change.message(Message.user("ns"))).block(TIMEOUT);
        List<String> listed = new ArrayList<>();
        String cursor = null;
        do {
            var page = engram.threads(ThreadQuery.of(tenant).limit(3).after(cursor)).block(TIMEOUT);
            page.items().forEach(i -> listed.add(i.key().threadId() + "#" + i.key().namespace()));
            cursor = page.next();
        } while (cursor != null);
        List<String> expected = new ArrayList<>(ids.stream().map(id -> id + "#").toList());
        expected.add("a#ns");
        expected.sort(String::compareTo);
        assertThat(listed).as("(threadId, namespace) in String.compareTo order, across pages").isEqualTo(expected);
    }

    @Test
    void theAppendAnswerMatchesWhatIsStored() {
        Engram engram = open(schema());
        ThreadHandle t = engram.thread(ThreadKey.of("answer"));
        Appended a = t.append(Change.message(Message.user("x"))).block(TIMEOUT);
        assertThat(a.firstVersion()).isEqualTo(1);
        t.events(1).map(Event::version).as(StepVerifier::create).expectNext(1L).verifyComplete();
    }
}
