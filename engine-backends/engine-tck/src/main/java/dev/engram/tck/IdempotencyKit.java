package dev.engram.tck;

import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static dev.engram.tck.Kits.versions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.InvalidInputException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Event;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.NewEvent;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** Retries by event id: the same ids return the original versions and write nothing; a changed payload or a partial overlap is refused. */
public interface IdempotencyKit extends EngramKit {

    @Test
    default void aRetryReturnsTheOriginalVersionsAndWritesNothing(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 2);
        List<NewEvent> batch = Kits.newEvents(3, "retried");
        t.append(AppendBatch.of(batch)).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 3, 5, false)).as("the first attempt writes 3..5")
                .verifyComplete();
        List<Event> after = log(t);
        t.append(AppendBatch.of(batch)).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 3, 5, true)).as("the retry gets 3..5 again, marked deduplicated")
                .verifyComplete();
        appendMessages(t, 2);
        t.append(AppendBatch.of(batch)).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 3, 5, true)).as("a retry after later appends still gets the original versions")
                .verifyComplete();
        assertThat(log(t).subList(0, 5)).as("the retries wrote nothing").isEqualTo(after);
        assertThat(versions(log(t))).hasSize(7);
    }

    @Test
    default void aRetryIsRecognisedWhateverItsExpectation(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        List<NewEvent> batch = Kits.one("created");
        t.append(batch, ExpectedVersion.noThread()).block(TIMEOUT);
        appendMessages(t, 3);
        t.append(batch, ExpectedVersion.noThread()).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 1, 1, true)).as("a retry whose expectation is now stale is deduplicated, not a conflict")
                .verifyComplete();
    }

    @Test
    default void theSameIdWithAnotherPayloadIsRefused(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        UUID id = UUID.randomUUID();
        t.append(AppendBatch.of(NewEvent.of(id, msg("original")))).block(TIMEOUT);
        t.append(AppendBatch.of(NewEvent.of(id, msg("tampered")))).as(StepVerifier::create)
                .as("same id, other content").verifyError(InvalidInputException.class);
        t.append(AppendBatch.of(new NewEvent(id, msg("original"), Map.of("extra", "metadata")))).as(StepVerifier::create)
                .as("same id and content, other event metadata").verifyError(InvalidInputException.class);
        assertThat(log(t)).as("nothing was written").hasSize(1);
    }

    @Test
    default void aPartialOverlapIsRefused(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        List<NewEvent> first = Kits.newEvents(2, "first");
        t.append(AppendBatch.of(first)).block(TIMEOUT);
        NewEvent fresh = NewEvent.of(msg("fresh"));
        t.append(AppendBatch.of(first.get(1), fresh)).as(StepVerifier::create)
                .as("one known id and one new").verifyError(InvalidInputException.class);
        t.append(AppendBatch.of(fresh, first.get(0))).as(StepVerifier::create)
                .as("one new id and one known").verifyError(InvalidInputException.class);
        assertThat(versions(log(t))).as("nothing was written").containsExactly(1L, 2L);
    }

    @Test
    default void aRetryMixingEarlierAppendsIsRefused(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        NewEvent a = NewEvent.of(msg("a"));
        NewEvent b = NewEvent.of(msg("b"));
        t.append(AppendBatch.of(a)).block(TIMEOUT);
        appendMessages(t, 1);
        t.append(AppendBatch.of(b)).block(TIMEOUT);
        t.append(AppendBatch.of(a, b)).as(StepVerifier::create)
                .as("a 'retry' of events from two appends with another in between").verifyError(InvalidInputException.class);
        assertThat(versions(log(t))).as("nothing was written").containsExactly(1L, 2L, 3L);
    }

    @Test
    default void anIdTwiceInOneBatchIsRefused(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        NewEvent e = NewEvent.of(msg("twice"));
        t.append(AppendBatch.of(e, e)).as(StepVerifier::create).verifyError(InvalidInputException.class);
        t.info().as(StepVerifier::create).as("the thread was not created").verifyComplete();
    }

    @Test
    default void concurrentRetriesWriteOnce(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open());
        appendMessages(t, 1);
        AppendBatch batch = AppendBatch.of(Kits.newEvents(4, "sent many times"));
        List<Appended> results = Flux.range(0, 12)
                .flatMap(i -> t.append(batch).subscribeOn(Schedulers.parallel()))
                .collectList().block(TIMEOUT);
        assertThat(results).as("every attempt gets versions 2..5")
                .allSatisfy(a -> assertThat(List.of(a.firstVersion(), a.lastVersion())).containsExactly(2L, 5L));
        assertThat(results).filteredOn(a -> !a.deduplicated()).as("exactly one attempt wrote").hasSize(1);
        assertThat(versions(log(t))).as("the batch is stored once").containsExactly(1L, 2L, 3L, 4L, 5L);
    }
}
