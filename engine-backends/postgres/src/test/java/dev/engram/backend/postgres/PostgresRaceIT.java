package dev.engram.backend.postgres;

import static dev.engram.backend.postgres.LocalPostgres.TIMEOUT;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.VersionConflictException;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.Event;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.Message;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Writers racing on one thread through two engines (two pools): optimistic concurrency and idempotency hold. */
class PostgresRaceIT {

    private static final int WRITERS = 16;
    private static final int ROUNDS = 1000;

    private static final String SCHEMA = LocalPostgres.newSchema();
    private static Engram first;
    private static Engram second;

    @BeforeAll
    static void open() {
        LocalPostgres.requireRunning();
        CheckpointPolicy manual = new CheckpointPolicy(0, 0, 3, false);
        first = Engram.open(LocalPostgres.config(SCHEMA).withStrict(true).withCheckpoints(manual));
        second = Engram.open(LocalPostgres.config(SCHEMA).withStrict(true).withCheckpoints(manual));
    }

    @AfterAll
    static void close() {
        if (first != null) {
            first.close();
        }
        if (second != null) {
            second.close();
        }
        LocalPostgres.dropSchema(SCHEMA);
    }

    @Test
    void exactlyOneOfSixteenWritersWinsEachRound() {
        ThreadKey key = ThreadKey.of("race-" + UUID.randomUUID());
        List<ThreadHandle> handles = List.of(first.thread(key), second.thread(key));
        long started = System.nanoTime();
        List<Integer> winnersPerRound = Flux.range(0, ROUNDS)
                .concatMap(round -> Flux.range(0, WRITERS)
                        .flatMap(w -> handles.get(w % 2)
                                .append(List.of(NewEvent.of(Change.message(Message.user("r" + round + " w" + w)))), ExpectedVersion.exactly(round))
                                .subscribeOn(Schedulers.parallel())
                                .map(a -> {
                                    assertThat(a.firstVersion()).isEqualTo(round + 1L);
                                    return 1;
                                })
                                .onErrorResume(VersionConflictException.class, e -> {
                                    assertThat(e.actual()).as("the conflict carries the head the winner made").isEqualTo(round + 1L);
                                    return Mono.just(0);
                                }), WRITERS)
                        .reduce(0, Integer::sum))
                .collectList()
                .block(TIMEOUT.multipliedBy(4));
        System.out.printf("%d rounds of %d racing writers in %d ms%n", ROUNDS, WRITERS, (System.nanoTime() - started) / 1_000_000);

        assertThat(winnersPerRound).as("exactly one winner in every round").hasSize(ROUNDS).containsOnly(1);
        List<Event> log = first.thread(key).events(1).collectList().block(TIMEOUT);
        assertThat(log).extracting(Event::version).as("a gapless log of one event per round")
                .containsExactlyElementsOf(IntStream.rangeClosed(1, ROUNDS).mapToObj(i -> (long) i).toList());
    }

    @Test
    void concurrentRetriesOfTheSameEventsAreWrittenOnce() {
        ThreadKey key = ThreadKey.of("retry-" + UUID.randomUUID());
        first.thread(key).append(Change.message(Message.user("before"))).block(TIMEOUT);
        for (int round = 0; round < 50; round++) {
            List<NewEvent> events = List.of(NewEvent.of(Change.message(Message.user("a" + round))),
                    NewEvent.of(Change.message(Message.assistant("b" + round))));
            // as a client whose acknowledgements were lost would: the same ids, many times, through both engines
            List<Appended> results = Flux.range(0, WRITERS)
                    .flatMap(i -> (i % 2 == 0 ? first : second).thread(key).append(AppendBatch.of(events))
                            .subscribeOn(Schedulers.parallel()), WRITERS)
                    .collectList().block(TIMEOUT);
            assertThat(results.stream().filter(a -> !a.deduplicated()).count()).as("written once").isEqualTo(1);
            assertThat(results.stream().map(a -> a.firstVersion() + ":" + a.lastVersion()).collect(Collectors.toSet()))
                    .as("every answer names the same versions").hasSize(1);
        }
        List<Event> log = second.thread(key).events(1).collectList().block(TIMEOUT);
        assertThat(log).hasSize(101);
        Set<UUID> ids = log.stream().map(Event::eventId).collect(Collectors.toSet());
        assertThat(ids).as("no event twice").hasSize(101);
    }

    @Test
    void aLateRetryIsRecognisedAfterOtherAppends() {
        ThreadHandle t = first.thread(ThreadKey.of("late-" + UUID.randomUUID()));
        AppendBatch batch = AppendBatch.of(NewEvent.of(Change.message(Message.user("once"))), NewEvent.of(Change.message(Message.user("twice?"))));
        t.append(batch).block(TIMEOUT);
        List<Appended> more = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            more.add(t.append(Change.message(Message.user("more " + i))).block(TIMEOUT));
        }
        second.thread(t.key()).append(batch.expect(ExpectedVersion.exactly(1))).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 1, 2, true))
                .as("the original versions, although the expectation no longer holds").verifyComplete();
        t.events(1).count().as(StepVerifier::create).expectNext(7L).verifyComplete();
    }

    @Test
    void aRefusedAppendWritesNothing() {
        ThreadHandle t = first.thread(ThreadKey.of("refused-" + UUID.randomUUID()));
        t.append(Change.message(Message.user("one"))).block(TIMEOUT);
        t.append(List.of(NewEvent.of(Change.message(Message.user("x"))), NewEvent.of(Change.message(Message.user("y")))),
                        ExpectedVersion.exactly(5))
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOfSatisfying(VersionConflictException.class,
                        c -> assertThat(c.actual()).isEqualTo(1)))
                .verify(TIMEOUT);
        t.events(1).count().as(StepVerifier::create).expectNext(1L).verifyComplete();
        t.info().map(i -> i.version()).as(StepVerifier::create).expectNext(1L).verifyComplete();
    }
}
