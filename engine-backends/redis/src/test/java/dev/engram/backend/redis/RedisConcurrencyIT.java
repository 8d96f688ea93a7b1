package dev.engram.backend.redis;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.VersionConflictException;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Racing writers from two backends (as two processes would be) on one thread, over the shared Redis. */
class RedisConcurrencyIT {

    private static final int WRITERS = 16;
    private static final int ROUNDS = 1000;

    private static String prefix;
    private static Backend first;
    private static Backend second;

    @BeforeAll
    static void open() {
        RedisTestSupport.requireRedis();
        prefix = RedisTestSupport.uniquePrefix("race");
        first = RedisTestSupport.backend(prefix, Clock.systemUTC());
        second = RedisTestSupport.backend(prefix, Clock.systemUTC());
    }

    @AfterAll
    static void close() {
        Mono.when(first.close(), second.close()).block();
        RedisTestSupport.dropPrefix(RedisTestSupport.URL, prefix);
    }

    private static LogAppend append(ThreadKey key, ExpectedVersion expected, List<EventRecord> events) {
        return new LogAppend(key, expected, events, Map.of(), null, System.currentTimeMillis());
    }

    private static EventRecord event(int writer) {
        return new EventRecord(0, UUID.randomUUID(), "race", System.currentTimeMillis(), new byte[] {(byte) writer, 0, (byte) 0xfe});
    }

    /** What one writer got: its versions, or the head a conflict reported. */
    private record Outcome(int writer, LogAppended appended, long conflictHead) {
    }

    @Test
    void exactlyOneOfSixteenWritersWinsEachRound() {
        ThreadKey key = ThreadKey.of("race", "t-" + UUID.randomUUID());
        List<UUID> winners = new ArrayList<>();
        long started = System.nanoTime();
        for (int round = 0; round < ROUNDS; round++) {
            long expected = round;
            List<EventRecord> events = IntStream.range(0, WRITERS).mapToObj(RedisConcurrencyIT::event).toList();
            List<Outcome> outcomes = Flux.range(0, WRITERS)
                    .flatMap(w -> (w % 2 == 0 ? first : second).events()
                            .append(append(key, ExpectedVersion.exactly(expected), List.of(events.get(w))))
                            .map(a -> new Outcome(w, a, -1))
                            .onErrorResume(VersionConflictException.class, e -> Mono.just(new Outcome(w, null, e.actual()))),
                            WRITERS)
                    .collectList()
                    .block(Duration.ofSeconds(10));
            List<Outcome> won = outcomes.stream().filter(o -> o.appended() != null).toList();
            assertThat(won).as("winners of round %d", round).hasSize(1);
            assertThat(won.get(0).appended()).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(expected + 1, expected + 1, false));
            assertThat(outcomes).filteredOn(o -> o.appended() == null)
                    .as("every loser of round %d is told the winner's head", round)
                    .allSatisfy(o -> assertThat(o.conflictHead()).isEqualTo(expected + 1));
            winners.add(events.get(won.get(0).writer()).eventId());
        }
        long millis = (System.nanoTime() - started) / 1_000_000;
        System.out.printf("race: %d rounds x %d writers in %d ms%n", ROUNDS, WRITERS, millis);

        List<EventRecord> log = first.events().read(key, 1, Long.MAX_VALUE, Integer.MAX_VALUE).collectList().block();
        assertThat(log).extracting(EventRecord::eventId).as("the log holds exactly the winners, in order").isEqualTo(winners);
        assertThat(log).extracting(EventRecord::version).isEqualTo(IntStream.rangeClosed(1, ROUNDS).mapToObj(i -> (long) i).toList());
        assertThat(second.events().find(key).block().version()).isEqualTo(ROUNDS);
    }

    @Test
    void retriesOfTheSameEventIdsNeverDuplicate() {
        ThreadKey key = ThreadKey.of("race", "retry-" + UUID.randomUUID());
        for (int round = 0; round < 200; round++) {
            List<EventRecord> batch = List.of(event(1), event(2), event(3));
            // the same batch sent 8 times at once, as a client whose acknowledgements were lost would
            List<LogAppended> answers = Flux.range(0, 8)
                    .flatMap(i -> (i % 2 == 0 ? first : second).events().append(append(key, ExpectedVersion.any(), batch)), 8)
                    .collectList()
                    .block(Duration.ofSeconds(10));
            assertThat(answers).filteredOn(a -> !a.deduplicated()).as("one attempt writes").hasSize(1);
            LogAppended written = answers.stream().filter(a -> !a.deduplicated()).findFirst().orElseThrow();
            assertThat(answers).allSatisfy(a -> {
                assertThat(a.firstVersion()).isEqualTo(written.firstVersion());
                assertThat(a.lastVersion()).isEqualTo(written.lastVersion());
            });
            // and once more, later, with a stale expectation: still the original versions
            LogAppended late = first.events().append(append(key, ExpectedVersion.noThread(), batch)).block();
            assertThat(late).usingRecursiveComparison().ignoringFields("generation").isEqualTo(new LogAppended(written.firstVersion(), written.lastVersion(), true));
        }
        List<EventRecord> log = second.events().read(key, 1, Long.MAX_VALUE, Integer.MAX_VALUE).collectList().block();
        assertThat(log).hasSize(600);
        assertThat(log.stream().map(EventRecord::eventId).distinct().count()).isEqualTo(600);
    }
}
