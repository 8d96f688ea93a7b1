package dev.engram.tck;

import static dev.engram.tck.Kits.MANUAL_CHECKPOINTS;
import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMixed;
import static dev.engram.tck.Kits.fold;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static dev.engram.tck.Kits.range;
import static dev.engram.tck.Kits.versions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.InvalidInputException;
import dev.engram.core.NotFoundException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.VersionConflictException;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Event;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** {@code stateAt(v)} (time travel, with and without checkpoints) and {@code fork(newKey, atVersion)}. */
public interface TimeTravelAndForkKit extends EngramKit {

    @Test
    default void stateAtFoldsTheLogUpToTheVersion(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCacheMaxThreads(0));
        ThreadHandle t = fixture.newThread(engram);
        appendMixed(t, 0, 20);
        List<Event> all = log(t);
        for (long v : new long[] {1, 2, 7, 13, 19, 20}) {
            t.stateAt(v).as(StepVerifier::create)
                    .expectNext(fold(t.key(), all.subList(0, (int) v))).as("stateAt(" + v + ") is the fold of the first " + v + " events")
                    .verifyComplete();
        }
        t.stateAt(0).as(StepVerifier::create)
                .assertNext(s -> {
                    assertThat(s.version()).isZero();
                    assertThat(s.messages()).isEmpty();
                    assertThat(s.values()).isEmpty();
                }).as("stateAt(0) is the empty state")
                .verifyComplete();
        t.stateAt(21).as(StepVerifier::create).as("past the head").verifyError(InvalidInputException.class);
        t.stateAt(-1).as(StepVerifier::create).as("a negative version").verifyError(InvalidInputException.class);
        fixture.newThread(engram).stateAt(1).as(StepVerifier::create).as("an absent thread has no past").verifyComplete();
    }

    @Test
    default void stateAtUsesCheckpointsAtOrBeforeTheVersion(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withCacheMaxThreads(0).withCheckpoints(MANUAL_CHECKPOINTS)));
        for (int i = 0; i < 4; i++) {
            appendMixed(t, i * 6, 6);
            t.checkpoint().block(TIMEOUT);
        }
        appendMixed(t, 24, 3);
        List<Event> all = log(t);
        for (long v = 1; v <= 27; v++) {
            assertThat(t.stateAt(v).block(TIMEOUT)).as("stateAt(%d) with checkpoints at 6, 12, 18, 24", v)
                    .isEqualTo(fold(t.key(), all.subList(0, (int) v)));
        }
    }

    @Test
    default void forkCopiesTheFirstEventsIntoANewThread(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCheckpoints(new CheckpointPolicy(3, 0, 3, false)));
        ThreadHandle source = engram.thread(fixture.newKey());
        source.append(AppendBatch.ofChanges(List.of(msg("created"))).metadata(Map.of("owner", "kit"))).block(TIMEOUT);
        appendMixed(source, 1, 7);
        List<Event> sourceLog = log(source);
        ThreadKey target = ThreadKey.of(fixture.newThreadId()).withNamespace("branch");

        source.fork(target, 5).as(StepVerifier::create)
                .assertNext(i -> {
                    assertThat(i.key()).isEqualTo(target);
                    assertThat(i.version()).isEqualTo(5);
                    assertThat(i.metadata()).containsEntry("owner", "kit")
                            .containsEntry("forkedFrom", source.key().threadId())
                            .containsEntry("forkedAt", "5");
                }).as("the fork has 5 events and metadata naming its origin")
                .verifyComplete();

        ThreadHandle fork = engram.thread(target);
        List<Event> forkLog = log(fork);
        assertThat(versions(forkLog)).isEqualTo(range(1, 5));
        for (int i = 0; i < 5; i++) {
            Event copied = forkLog.get(i);
            Event original = sourceLog.get(i);
            assertThat(copied.key()).isEqualTo(target);
            assertThat(List.of(copied.eventId(), copied.timestamp(), copied.change(), copied.metadata()))
                    .as("event %d keeps its id, time, change and metadata", i + 1)
                    .isEqualTo(List.of(original.eventId(), original.timestamp(), original.change(), original.metadata()));
        }
        fork.state().as(StepVerifier::create)
                .expectNext(fold(target, sourceLog.subList(0, 5))).as("the fork's state is the source's state at 5")
                .verifyComplete();

        fork.append(msg("diverge")).map(Appended::firstVersion).as(StepVerifier::create)
                .expectNext(6L).as("the fork continues at 6").verifyComplete();
        assertThat(log(source)).as("the source is untouched").isEqualTo(sourceLog);
        source.stateAt(5).map(ThreadState::messages).as(StepVerifier::create)
                .expectNext(fold(source.key(), sourceLog.subList(0, 5)).messages()).verifyComplete();
    }

    @Test
    default void forkRefusesAnExistingTargetAndVersionsPastTheHead(EngramFixture fixture) {
        Engram engram = fixture.open();
        ThreadHandle source = fixture.newThread(engram);
        ThreadHandle existing = fixture.newThread(engram);
        appendMixed(source, 0, 4);
        appendMixed(existing, 0, 2);
        List<Event> existingLog = log(existing);

        source.fork(existing.key(), 3).as(StepVerifier::create)
                .as("forking onto an existing thread").verifyError(VersionConflictException.class);
        assertThat(log(existing)).as("the existing thread is untouched").isEqualTo(existingLog);

        ThreadKey target = fixture.newKey();
        source.fork(target, 5).as(StepVerifier::create).as("atVersion past the head").verifyError(InvalidInputException.class);
        source.fork(target, 0).as(StepVerifier::create).as("atVersion 0").verifyError(InvalidInputException.class);
        source.fork(source.key(), 2).as(StepVerifier::create).as("onto itself").verifyError(InvalidInputException.class);
        engram.thread(target).info().as(StepVerifier::create).as("no target was created").verifyComplete();
        fixture.newThread(engram).fork(target, 1).as(StepVerifier::create)
                .as("forking an absent thread").verifyError(NotFoundException.class);
    }

    @Test
    default void forkAtTheHeadIntoAnotherTenant(EngramFixture fixture) {
        Engram engram = fixture.open();
        ThreadHandle source = fixture.newThread(engram);
        appendMixed(source, 0, 6);
        ThreadKey target = ThreadKey.of(fixture.newTenant(), fixture.newThreadId());
        source.fork(target, 6).map(ThreadInfo::version).as(StepVerifier::create).expectNext(6L).verifyComplete();
        engram.thread(target).state().as(StepVerifier::create)
                .expectNext(fold(target, log(source))).as("a fork at the head copies everything")
                .verifyComplete();
    }
}
