package dev.engram.backend.mongodb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.ThreadRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/**
 * The server goes away under load and comes back on the same port with the same data (the in-process server's memory
 * stands in for a real server's disk, so this shows what the backend does, not MongoDB's own durability): appends fail
 * within the timeout with {@link BackendUnavailableException}, the same backend instance recovers without a restart,
 * and every acknowledged append is there, once, gapless, with its bytes.
 */
class MongoServerGoneIT {

    private static final int WRITERS = 8;

    @Test
    void acknowledgedAppendsSurviveTheServerGoingAwayAndTheSameBackendRecovers() throws Exception {
        try (MongoTestServer server = MongoTestServer.start()) {
            Backend backend = server.backend("gone", Clock.systemUTC(), "commandTimeout", "2s", "serverSelectionTimeout", "1s",
                    "connectTimeout", "1s");
            Map<ThreadKey, List<EventRecord>> acknowledged = new ConcurrentHashMap<>();
            List<Duration> failures = new CopyOnWriteArrayList<>();
            AtomicBoolean down = new AtomicBoolean();
            // each writer appends until it has seen 3 failures after the server went down (bounded by count and time)
            Flux<Void> load = Flux.range(0, WRITERS).flatMap(w -> {
                ThreadKey key = ThreadKey.of("w" + w);
                acknowledged.put(key, new CopyOnWriteArrayList<>());
                int[] failed = {0};
                return Mono.defer(() -> {
                            List<EventRecord> batch = List.of(event(), event());
                            long started = System.nanoTime();
                            return backend.events().append(new LogAppend(key, ExpectedVersion.any(), batch, Map.of(), null, System.currentTimeMillis()))
                                    .doOnNext(r -> record(acknowledged.get(key), batch, r))
                                    .then()
                                    .onErrorResume(e -> {
                                        if (!down.get()) {
                                            return Mono.error(e);
                                        }
                                        assertThat(e).isInstanceOf(BackendUnavailableException.class);
                                        failures.add(Duration.ofNanos(System.nanoTime() - started));
                                        failed[0]++;
                                        return Mono.empty();
                                    });
                        })
                        .repeat(() -> failed[0] < 3)
                        .take(Duration.ofSeconds(60));
            });
            var running = load.subscribeOn(Schedulers.boundedElastic()).then().toFuture();
            // every writer under way: a writer whose first append is still going (its turn for a pooled connection
            // can come well after the others' 400th event) has no thread yet, and the thread it leaves is checked below
            waitUntil(() -> acknowledged.values().stream().mapToInt(List::size).sum() >= 400
                    && acknowledged.values().stream().noneMatch(List::isEmpty));
            down.set(true);
            server.stop();
            running.get();
            assertThat(failures).hasSizeGreaterThanOrEqualTo(WRITERS * 3)
                    .allSatisfy(d -> assertThat(d).as("fails within the timeout").isLessThan(Duration.ofSeconds(4)));

            server.restart();
            waitUntil(() -> backend.ping().then(Mono.just(true)).onErrorReturn(false).block());
            for (Map.Entry<ThreadKey, List<EventRecord>> e : acknowledged.entrySet()) {
                List<EventRecord> stored = backend.events().read(e.getKey(), 1, Long.MAX_VALUE, 1_000_000).collectList().block();
                ThreadRecord thread = backend.events().find(e.getKey()).block();
                assertThat(thread).as("%s, which has acknowledged appends", e.getKey()).isNotNull();
                long head = thread.version();
                assertThat(stored).as("gapless, nothing half-written").hasSize((int) head)
                        .extracting(EventRecord::version).containsExactlyElementsOf(versions(head));
                assertThat(head % 2).as("whole batches only").isZero();
                for (EventRecord ack : e.getValue()) {
                    EventRecord found = stored.get((int) ack.version() - 1);
                    assertThat(found.samePayload(ack)).as("acknowledged %s", ack).isTrue();
                }
                LogAppended after = backend.events().append(new LogAppend(e.getKey(), ExpectedVersion.exactly(head), List.of(event()),
                        Map.of(), null, System.currentTimeMillis())).block();
                assertThat(after.firstVersion()).isEqualTo(head + 1);
            }
            backend.close().block();
        }
    }

    @Test
    void aCommitWhoseRecordUpdateTheOutageCutOffCountsOnceTheServerIsBack() {
        try (MongoTestServer server = MongoTestServer.start()) {
            Backend backend = server.backend("cut", Clock.systemUTC(), "commandTimeout", "2s");
            ThreadKey key = ThreadKey.of("cut");
            EventRecord first = event();
            server.goAwayAt("update", "threads");
            assertThatThrownBy(() -> backend.events().append(append(key, ExpectedVersion.noThread(), first)).block())
                    .as("unacknowledged: the record update and the read that settles it both failed")
                    .isInstanceOf(BackendUnavailableException.class);

            server.comeBack();
            assertThat(backend.events().find(key).block().version()).as("the commit counts").isEqualTo(1);
            assertThat(backend.events().read(key, 1, 9, 9).collectList().block()).singleElement()
                    .satisfies(e -> assertThat(e.samePayload(first)).isTrue());
            assertThat(backend.events().append(append(key, ExpectedVersion.noThread(), first)).block())
                    .as("a retry of it is answered, not written again").isEqualTo(new LogAppended(1, 1, true));
            assertThat(backend.events().append(append(key, ExpectedVersion.exactly(1), event())).block().firstVersion()).isEqualTo(2);
            backend.close().block();
        }
    }

    @Test
    void aThreadWhoseFirstCommitTheOutageCutOffIsAbsentAndItsNextAppendCreatesIt() {
        try (MongoTestServer server = MongoTestServer.start()) {
            Backend backend = server.backend("uncommitted", Clock.systemUTC(), "commandTimeout", "2s");
            ThreadKey key = ThreadKey.of("uncommitted");
            server.goAwayAt("insert", "commits");
            assertThatThrownBy(() -> backend.events().append(append(key, ExpectedVersion.noThread(), event())).block())
                    .isInstanceOf(BackendUnavailableException.class);

            server.comeBack();
            StepVerifier.create(backend.events().find(key)).as("a record without a commit is no thread").verifyComplete();
            LogAppended created = backend.events().append(append(key, ExpectedVersion.noThread(), event())).block();
            assertThat(created.firstVersion()).isEqualTo(1);
            assertThat(created.generation()).as("the generation of the record the cut-off append left")
                    .isEqualTo(backend.events().find(key).block().generation());
            backend.close().block();
        }
    }

    @Test
    void appendsAcknowledgedBeforeTheirRecordCaughtUpAreThereAtTheirVersionsAfterARestart() {
        try (MongoTestServer server = MongoTestServer.start()) {
            Backend backend = server.backend("behind", Clock.systemUTC(), "commandTimeout", "2s");
            ThreadKey key = ThreadKey.of("behind");
            List<EventRecord> acknowledged = new ArrayList<>(List.of(event()));
            backend.events().append(append(key, ExpectedVersion.noThread(), acknowledged.get(0))).block();
            // from here on the record is never updated: neither the write-behind of its head nor the flush on close land
            server.refuse("update", "threads");
            for (long v = 2; v <= 3; v++) {
                EventRecord e = event();
                assertThat(backend.events().append(append(key, ExpectedVersion.exactly(v - 1), e)).block())
                        .as("acknowledged without a record update").isEqualTo(new LogAppended(v, v, false));
                acknowledged.add(e);
            }
            backend.close().block();
            assertThat(server.documents("behind", "engram_threads", new de.bwaldvogel.mongo.bson.Document("_id", "default/behind/")))
                    .singleElement().satisfies(r -> assertThat(r.get("head")).as("the record's head").isEqualTo(1L));

            server.stop();
            server.restart();
            Backend reopened = server.backend("behind", Clock.systemUTC(), "commandTimeout", "2s");
            assertThat(reopened.events().find(key).block().version()).isEqualTo(3);
            assertThat(reopened.events().list(ThreadQuery.of("default")).block().items()).singleElement()
                    .satisfies(r -> assertThat(r.version()).as("listed at its head").isEqualTo(3));
            List<EventRecord> stored = reopened.events().read(key, 1, 99, 99).collectList().block();
            assertThat(stored).extracting(EventRecord::version).containsExactly(1L, 2L, 3L);
            for (int i = 0; i < 3; i++) {
                assertThat(stored.get(i).samePayload(acknowledged.get(i))).isTrue();
            }
            assertThat(reopened.events().append(append(key, ExpectedVersion.exactly(3), acknowledged.get(2))).block())
                    .as("a retry of the last one is answered").isEqualTo(new LogAppended(3, 3, true));
            server.serveAll();
            assertThat(reopened.events().append(append(key, ExpectedVersion.exactly(3), event())).block().firstVersion()).isEqualTo(4);
            reopened.close().block();
        }
    }

    private static LogAppend append(ThreadKey key, ExpectedVersion expected, EventRecord event) {
        return new LogAppend(key, expected, List.of(event), Map.of(), null, System.currentTimeMillis());
    }

    private static void record(List<EventRecord> acknowledged, List<EventRecord> batch, LogAppended r) {
        for (int i = 0; i < batch.size(); i++) {
            acknowledged.add(batch.get(i).withVersion(r.firstVersion() + i));
        }
    }

    private static List<Long> versions(long head) {
        List<Long> v = new ArrayList<>();
        for (long i = 1; i <= head; i++) {
            v.add(i);
        }
        return v;
    }

    private static EventRecord event() {
        UUID id = UUID.randomUUID();
        return new EventRecord(0, id, "e", 0, id.toString().getBytes());
    }

    private static void waitUntil(java.util.function.BooleanSupplier condition) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 30 s");
            }
            Thread.onSpinWait();
            java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
        }
    }
}
