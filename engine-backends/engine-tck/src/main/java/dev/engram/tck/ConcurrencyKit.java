package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static dev.engram.tck.Kits.range;
import static dev.engram.tck.Kits.versions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.VersionConflictException;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.Event;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.NewEvent;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Signal;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Optimistic concurrency: {@code ExpectedVersion} any / noThread / exactly, conflicts that carry both versions, and racing writers. */
public interface ConcurrencyKit extends EngramKit {

    /** Writers racing on the same expected version in each round of {@link #racingWritersAgreeOnOneWinnerPerRound}. */
    default int racingWriters() {
        return 16;
    }

    /** Rounds of {@link #racingWritersAgreeOnOneWinnerPerRound}. */
    default int racingRounds() {
        return 50;
    }

    @Test
    default void exactlyTheHeadAppends(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        t.append(Kits.one("first"), ExpectedVersion.noThread()).as(StepVerifier::create)
                .expectNextMatches(a -> a.firstVersion() == 1).as("noThread creates the thread")
                .verifyComplete();
        t.append(Kits.one("second"), ExpectedVersion.exactly(1)).as(StepVerifier::create)
                .expectNextMatches(a -> a.firstVersion() == 2).as("exactly(head) appends")
                .verifyComplete();
        t.append(Kits.one("third"), ExpectedVersion.any()).as(StepVerifier::create)
                .expectNextMatches(a -> a.firstVersion() == 3).as("any appends whatever the head")
                .verifyComplete();
    }

    @Test
    default void aStaleExpectationConflictsAndWritesNothing(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 3);
        List<Event> before = log(t);
        t.append(List.of(NewEvent.of(msg("late")), NewEvent.of(msg("later"))), ExpectedVersion.exactly(2)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).as("exactly(2) on head 3 conflicts, carrying expected 2 and actual 3").isInstanceOfSatisfying(VersionConflictException.class, c -> {
                    assertThat(c.key()).isEqualTo(t.key());
                    assertThat(c.expected()).isEqualTo(ExpectedVersion.exactly(2));
                    assertThat(c.actual()).isEqualTo(3);
                }))
                .verify();
        t.append(Kits.one("ahead"), ExpectedVersion.exactly(7)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).as("an expectation ahead of the head conflicts too").isInstanceOfSatisfying(VersionConflictException.class,
                        c -> assertThat(c.actual()).isEqualTo(3)))
                .verify();
        assertThat(log(t)).as("nothing of the refused batches was written").isEqualTo(before);
        t.info().map(i -> i.version()).as(StepVerifier::create).expectNext(3L).as("head unchanged").verifyComplete();
    }

    @Test
    default void noThreadConflictsOnAnExistingThread(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 2);
        t.append(Kits.one("again"), ExpectedVersion.noThread()).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).as("noThread on a thread at 2 conflicts with actual 2").isInstanceOfSatisfying(VersionConflictException.class, c -> {
                    assertThat(c.expected()).isEqualTo(ExpectedVersion.noThread());
                    assertThat(c.actual()).isEqualTo(2);
                }))
                .verify();
    }

    @Test
    default void exactlyOnAnAbsentThreadConflictsWithActualZero(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        t.append(Kits.one("x"), ExpectedVersion.exactly(1)).as(StepVerifier::create)
                .expectErrorSatisfies(e -> assertThat(e).as("exactly(1) on an absent thread: actual 0").isInstanceOfSatisfying(VersionConflictException.class,
                        c -> assertThat(c.actual()).isZero()))
                .verify();
        t.info().as(StepVerifier::create).as("the thread was not created").verifyComplete();
    }

    @Test
    default void racingWritersAgreeOnOneWinnerPerRound(EngramFixture fixture) {
        Engram engram = fixture.open();
        ThreadHandle t = fixture.newThread(engram);
        int writers = racingWriters();
        List<String> winners = Collections.synchronizedList(new ArrayList<>());
        for (int round = 0; round < racingRounds(); round++) {
            long head = round;
            List<Signal<Appended>> outcomes = Flux.range(0, writers)
                    .flatMap(w -> t.append(List.of(NewEvent.of(msg("round " + head + " writer " + w))), ExpectedVersion.exactly(head))
                            .doOnNext(a -> winners.add("round " + head + " writer " + w))
                            .materialize()
                            .subscribeOn(Schedulers.parallel()), writers)
                    .collectList()
                    .block(TIMEOUT);
            List<Appended> won = outcomes.stream().filter(Signal::isOnNext).map(Signal::get).toList();
            List<Throwable> lost = outcomes.stream().filter(Signal::isOnError).map(Signal::getThrowable).toList();
            assertThat(won).as("round %d: exactly one writer wins", round).hasSize(1);
            assertThat(won.get(0).firstVersion()).as("round %d: the winner gets head + 1", round).isEqualTo(head + 1);
            assertThat(lost).as("round %d: every other writer gets a conflict", round).hasSize(writers - 1)
                    .allSatisfy(e -> assertThat(e).isInstanceOfSatisfying(VersionConflictException.class, c -> {
                        assertThat(c.expected()).isEqualTo(ExpectedVersion.exactly(head));
                        assertThat(c.actual()).isEqualTo(head + 1);
                    }));
        }
        List<Event> all = log(t);
        assertThat(versions(all)).as("one event per round, gapless").isEqualTo(range(1, racingRounds()));
        assertThat(all).extracting(e -> ((Change.MessageAppended) e.change()).message().content())
                .as("each version holds its round's winner and nothing of the losers").containsExactlyElementsOf(winners);
        t.state().map(s -> s.messages().size()).as(StepVerifier::create)
                .expectNext(racingRounds()).as("the state holds only the winners")
                .verifyComplete();
    }

    @Test
    default void aBatchWithAConflictWritesNone(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 1);
        t.append(Kits.newEvents(5, "batch"), ExpectedVersion.noThread()).as(StepVerifier::create)
                .as("a five-event batch with a stale expectation")
                .verifyError(VersionConflictException.class);
        assertThat(versions(log(t))).as("none of its events was written").containsExactly(1L);
    }
}
