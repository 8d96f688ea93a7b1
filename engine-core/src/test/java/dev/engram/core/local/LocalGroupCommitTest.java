package dev.engram.core.local;

import static dev.engram.core.local.LocalTesting.append;
import static dev.engram.core.local.LocalTesting.event;
import static dev.engram.core.local.LocalTesting.open;
import static dev.engram.core.local.LocalTesting.texts;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.VersionConflictException;
import dev.engram.core.local.LocalTesting.ManualClock;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Signal;

/** Group commit, and which threads do the work. */
class LocalGroupCommitTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private LocalBackend backend;

    @AfterEach
    void close() {
        if (backend != null) {
            backend.close().block(WAIT);
        }
    }

    private long now() {
        return clock.millis();
    }

    /** Holds the writer thread until the returned latch is released, so that what is queued meanwhile forms one batch. */
    private CountDownLatch holdWriter() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        backend.writer().runOnWriter(() -> {
            started.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).subscribe();
        assertThat(started.await(10, TimeUnit.SECONDS)).as("writer held").isTrue();
        return release;
    }

    private List<Mono<Signal<LogAppended>>> submit(List<LogAppend> appends) {
        List<Mono<Signal<LogAppended>>> results = new ArrayList<>();
        for (LogAppend a : appends) {
            Mono<Signal<LogAppended>> m = backend.events().append(a).materialize().cache();
            m.subscribe();
            results.add(m);
        }
        return results;
    }

    @Test
    void concurrentAppendsShareOneWriteAndOneSync() throws Exception {
        backend = open(dir, clock, "sync", "always");
        List<LogAppend> appends = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            appends.add(append(ThreadKey.of("t-" + i), ExpectedVersion.noThread(), now(), event("e" + i, now()), event("f" + i, now())));
        }
        CountDownLatch release = holdWriter();
        long writes = backend.writer().writes();
        List<Mono<Signal<LogAppended>>> results = submit(appends);
        release.countDown();

        for (Mono<Signal<LogAppended>> r : results) {
            assertThat(r.block(WAIT).get()).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 2, false));
        }
        long used = backend.writer().writes() - writes;
        assertThat(used).as("writes for 64 appends").isLessThan(64).isEqualTo(1);
    }

    @Test
    void aGroupTakesAtMostMaxBatchAppends() throws Exception {
        backend = open(dir, clock, "maxBatch", "8");
        List<LogAppend> appends = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            appends.add(append(ThreadKey.of("t-" + i), ExpectedVersion.any(), now(), event("e" + i, now())));
        }
        CountDownLatch release = holdWriter();
        long writes = backend.writer().writes();
        List<Mono<Signal<LogAppended>>> results = submit(appends);
        release.countDown();
        results.forEach(r -> assertThat(r.block(WAIT).isOnNext()).isTrue());
        assertThat(backend.writer().writes() - writes).isEqualTo(8);
    }

    @Test
    void appendsToOneThreadInOneGroupSeeEachOtherAndARejectionLeavesTheOthersAlone() throws Exception {
        backend = open(dir, clock);
        ThreadKey t = ThreadKey.of("chat");
        ThreadKey other = ThreadKey.of("other");
        UUID first = UUID.randomUUID();
        List<LogAppend> appends = List.of(
                append(t, ExpectedVersion.noThread(), now(), event(first, "1", now())),
                append(t, ExpectedVersion.exactly(5), now(), event("conflict", now())),
                append(other, ExpectedVersion.any(), now(), event("o", now())),
                append(t, ExpectedVersion.exactly(1), now(), event("2", now()), event("3", now())),
                append(t, ExpectedVersion.any(), now(), event(first, "changed", now())),
                append(t, ExpectedVersion.exactly(0), now(), event(first, "1", now())),
                append(t, ExpectedVersion.exactly(3), now(), event("4", now())));
        CountDownLatch release = holdWriter();
        long writes = backend.writer().writes();
        List<Mono<Signal<LogAppended>>> results = submit(appends);
        release.countDown();

        assertThat(results.get(0).block(WAIT).get()).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false));
        assertThat(results.get(1).block(WAIT).getThrowable()).isInstanceOf(VersionConflictException.class).hasMessageContaining("actual 1");
        assertThat(results.get(2).block(WAIT).get()).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, false));
        assertThat(results.get(3).block(WAIT).get()).as("sees the group's first append").usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(2, 3, false));
        assertThat(results.get(4).block(WAIT).getThrowable()).isInstanceOf(InvalidInputException.class);
        assertThat(results.get(5).block(WAIT).get()).as("retry of an id added earlier in the group").usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(1, 1, true));
        assertThat(results.get(6).block(WAIT).get()).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(4, 4, false));
        assertThat(backend.writer().writes() - writes).isEqualTo(1);
        assertThat(texts(backend.events().read(t, 1, 100, 100).collectList().block(WAIT))).containsExactly("1", "2", "3", "4");
        assertThat(backend.events().find(t).block(WAIT).version()).isEqualTo(4);
    }

    @Test
    void aFullQueueFailsFastInsteadOfBlocking() throws Exception {
        backend = open(dir, clock, "maxBatch", "4", "maxQueued", "8");
        List<LogAppend> appends = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            appends.add(append(ThreadKey.of("t-" + i), ExpectedVersion.any(), now(), event("e", now())));
        }
        CountDownLatch release = holdWriter();
        List<Mono<Signal<LogAppended>>> results = submit(appends);
        release.countDown();
        long refused = results.stream().map(r -> r.block(WAIT)).filter(s -> s.isOnError()).peek(s ->
                assertThat(s.getThrowable()).isInstanceOf(BackendUnavailableException.class).hasMessageContaining("maxQueued")).count();
        assertThat(refused).isEqualTo(12);
    }

    @Test
    void blockingWorkRunsOnTheBackendsThreadsNeverTheCallers() throws Exception {
        backend = open(dir, clock);
        ThreadKey t = ThreadKey.of("chat");
        AtomicReference<String> writeThread = new AtomicReference<>();
        backend.writer().runOnWriter(() -> writeThread.set(Thread.currentThread().getName())).block(WAIT);
        assertThat(writeThread.get()).startsWith("engram-local-writer-");

        String ackThread = backend.events().append(append(t, ExpectedVersion.any(), now(), event("e", now())))
                .map(a -> Thread.currentThread().getName()).block(WAIT);
        assertThat(ackThread).as("append answered on").startsWith("engram-local-ack-");

        AtomicReference<String> readThread = new AtomicReference<>();
        backend.events().read(t, 1, 10, 10).doOnNext(e -> readThread.set(Thread.currentThread().getName())).blockLast(WAIT);
        assertThat(readThread.get()).as("read emitted on").startsWith("engram-local-read-");
        String findThread = backend.events().find(t).map(r -> Thread.currentThread().getName()).block(WAIT);
        assertThat(findThread).startsWith("engram-local-read-");
        String cpThread = backend.checkpoints().list(t).map(m -> "").defaultIfEmpty("").map(x -> Thread.currentThread().getName())
                .blockLast(WAIT);
        assertThat(cpThread).startsWith("engram-local-read-");
    }

    @Test
    void aCallerBlockingInsideAnAcknowledgementDoesNotStallTheWriter() {
        backend = open(dir, clock);
        ThreadKey t = ThreadKey.of("chat");
        LogAppended nested = backend.events().append(append(t, ExpectedVersion.any(), now(), event("outer", now())))
                .map(a -> backend.events().append(append(t, ExpectedVersion.exactly(a.lastVersion()), now(), event("inner", now())))
                        .block(WAIT))
                .block(WAIT);
        assertThat(nested).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(2, 2, false));
    }

    @Test
    void theChangeFeedSeesHeadsInCommitOrder() {
        backend = open(dir, clock);
        ThreadKey t = ThreadKey.of("chat");
        backend.events().append(append(t, ExpectedVersion.any(), now(), event("1", now()))).block(WAIT);
        List<Long> heads = new java.util.concurrent.CopyOnWriteArrayList<>();
        var sub = backend.changes().heads(t).subscribe(heads::add);
        Flux.range(0, 20).concatMap(i -> backend.events().append(append(t, ExpectedVersion.any(), now(), event("e", now())))).blockLast(WAIT);
        backend.events().delete(t).block(WAIT);
        Flux.interval(Duration.ofMillis(5)).filter(i -> !heads.isEmpty() && heads.get(heads.size() - 1) == 0).blockFirst(WAIT);
        sub.dispose();
        assertThat(heads.subList(0, heads.size() - 1)).isSorted().contains(21L);
        assertThat(heads.get(0)).isGreaterThanOrEqualTo(1L);
    }
}
