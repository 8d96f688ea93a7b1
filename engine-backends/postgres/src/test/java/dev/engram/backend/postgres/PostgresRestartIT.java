package dev.engram.backend.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.BackendUnavailableException;
import dev.engram.core.Engram;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.Event;
import dev.engram.core.model.Message;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * A private server stopped the harsh way in the middle of concurrent appends, then started again: appends fail with
 * {@link BackendUnavailableException} within the timeout meanwhile, the same engine recovers by itself, no acknowledged
 * append is lost, and no append is there in part.
 */
class PostgresRestartIT {

    private static final int WRITERS = 12;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration STATEMENT_TIMEOUT = Duration.ofSeconds(3);
    private static final Duration BOUND = Duration.ofSeconds(60);

    /** One append of two events, and what became of it. */
    private record Attempt(ThreadKey key, UUID first, UUID second, Appended ack) {
    }

    @Test
    void aRestartedServerLosesNoAcknowledgedAppend() throws Exception {
        try (PrivatePostgres pg = PrivatePostgres.create()) {
            pg.start();
            EngramConfig config = EngramConfig.defaults().withProvider(PostgresProvider.NAME).withStrict(true)
                    .withCheckpoints(new CheckpointPolicy(0, 0, 3, false))
                    .withProviderOption("postgres", "url", pg.url())
                    .withProviderOption("postgres", "schema", "restart")
                    .withProviderOption("postgres", "poolMaxSize", "8")
                    .withProviderOption("postgres", "connectTimeout", CONNECT_TIMEOUT.toMillis() + "ms")
                    .withProviderOption("postgres", "statementTimeout", STATEMENT_TIMEOUT.toMillis() + "ms");
            try (Engram engram = Engram.open(config)) {
                ConcurrentLinkedQueue<Attempt> acknowledged = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Attempt> failed = new ConcurrentLinkedQueue<>();
                ConcurrentLinkedQueue<Throwable> wrongErrors = new ConcurrentLinkedQueue<>();
                AtomicLong slowestFailureMillis = new AtomicLong();
                AtomicBoolean stop = new AtomicBoolean();
                AtomicInteger acksAfterRestart = new AtomicInteger();
                AtomicBoolean restarted = new AtomicBoolean();

                Mono<Void> load = Flux.range(0, WRITERS)
                        .flatMap(w -> {
                            ThreadKey key = ThreadKey.of("writer-" + w);
                            AtomicInteger n = new AtomicInteger();
                            return Mono.defer(() -> {
                                        NewEvent a = NewEvent.of(Change.message(Message.user(w + "/" + n.get() + "a")));
                                        NewEvent b = NewEvent.of(Change.message(Message.assistant(w + "/" + n.getAndIncrement() + "b")));
                                        long started = System.nanoTime();
                                        return engram.thread(key).append(AppendBatch.of(a, b))
                                                .doOnNext(ack -> {
                                                    acknowledged.add(new Attempt(key, a.eventId(), b.eventId(), ack));
                                                    if (restarted.get()) {
                                                        acksAfterRestart.incrementAndGet();
                                                    }
                                                })
                                                .then()
                                                .onErrorResume(e -> {
                                                    slowestFailureMillis.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
                                                    failed.add(new Attempt(key, a.eventId(), b.eventId(), null));
                                                    if (!(e instanceof BackendUnavailableException)) {
                                                        wrongErrors.add(e);
                                                    }
                                                    // a failing server answers at once: do not spin
                                                    return Mono.delay(Duration.ofMillis(20)).then();
                                                });
                                    })
                                    .repeat(() -> !stop.get())
                                    .subscribeOn(Schedulers.parallel());
                        }, WRITERS)
                        .then()
                        .cache();
                Disposable running = load.subscribe();
                try {
                    poll(() -> acknowledged.size() >= 300, "300 appends acknowledged before the stop");
                    pg.stopImmediately();
                    int failedBefore = failed.size();
                    poll(() -> failed.size() >= failedBefore + 3 * WRITERS, "appends failing while the server is down");
                    int acksWhileDown = acknowledged.size();
                    poll(() -> failed.size() >= failedBefore + 10 * WRITERS, "more appends failing while the server is down");
                    assertThat(acknowledged.size()).as("nothing acknowledged while the server is down").isEqualTo(acksWhileDown);

                    pg.start();
                    restarted.set(true);
                    poll(() -> acksAfterRestart.get() >= 200, "the same engine appending again after the restart");
                    stop.set(true);
                    // every writer finishes its append in flight, so each attempt ends acknowledged or failed
                    load.block(BOUND);
                } finally {
                    stop.set(true);
                    running.dispose();
                }

                assertThat(wrongErrors).as("failures are BackendUnavailableException").isEmpty();
                assertThat(slowestFailureMillis.get()).as("failures come within the configured timeouts")
                        .isLessThan(CONNECT_TIMEOUT.plus(STATEMENT_TIMEOUT).plusSeconds(2).toMillis());

                Map<ThreadKey, List<Event>> logs = new ConcurrentHashMap<>();
                for (int w = 0; w < WRITERS; w++) {
                    ThreadKey key = ThreadKey.of("writer-" + w);
                    logs.put(key, engram.thread(key).events(1).collectList().block(BOUND));
                }
                for (Map.Entry<ThreadKey, List<Event>> e : logs.entrySet()) {
                    List<Long> versions = e.getValue().stream().map(Event::version).toList();
                    List<Long> gapless = new ArrayList<>();
                    for (long v = 1; v <= versions.size(); v++) {
                        gapless.add(v);
                    }
                    assertThat(versions).as("a gapless log for " + e.getKey()).isEqualTo(gapless);
                    Set<UUID> ids = e.getValue().stream().map(Event::eventId).collect(Collectors.toSet());
                    assertThat(ids).as("no event twice in " + e.getKey()).hasSize(versions.size());
                }
                for (Attempt a : acknowledged) {
                    List<Event> log = logs.get(a.key);
                    assertThat(log.get((int) a.ack.firstVersion() - 1).eventId()).as("acknowledged at its version").isEqualTo(a.first);
                    assertThat(log.get((int) a.ack.lastVersion() - 1).eventId()).isEqualTo(a.second);
                }
                int committedButUnacknowledged = 0;
                for (Attempt a : failed) {
                    Set<UUID> ids = logs.get(a.key).stream().map(Event::eventId).collect(Collectors.toSet());
                    assertThat(ids.contains(a.first)).as("a failed append is there whole or not at all").isEqualTo(ids.contains(a.second));
                    if (ids.contains(a.first)) {
                        committedButUnacknowledged++;
                    }
                }
                int total = logs.values().stream().mapToInt(List::size).sum();
                assertThat(total).as("every stored event belongs to an acknowledged or a failed append")
                        .isEqualTo(2 * (acknowledged.size() + committedButUnacknowledged));
                System.out.printf("restart: %d acknowledged, %d failed (%d of them committed), slowest failure %d ms%n",
                        acknowledged.size(), failed.size(), committedButUnacknowledged, slowestFailureMillis.get());
            }
        }
    }

    private static void poll(BooleanSupplier condition, String what) {
        Mono.fromCallable(condition::getAsBoolean)
                .filter(Boolean::booleanValue)
                .repeatWhenEmpty(r -> r.delayElements(Duration.ofMillis(20)))
                .timeout(BOUND)
                .onErrorMap(java.util.concurrent.TimeoutException.class, e -> new AssertionError("timed out waiting for " + what))
                .block();
    }
}
