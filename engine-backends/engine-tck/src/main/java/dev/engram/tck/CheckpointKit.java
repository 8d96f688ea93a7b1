package dev.engram.tck;

import static dev.engram.tck.Kits.MANUAL_CHECKPOINTS;
import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.appendMixed;
import static dev.engram.tck.Kits.fold;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.range;
import static dev.engram.tck.Kits.versions;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.EngramException;
import dev.engram.core.InvalidInputException;
import dev.engram.core.NotFoundException;
import dev.engram.core.ThreadHandle;
import dev.engram.core.config.CheckpointPolicy;
import dev.engram.core.model.CheckpointInfo;
import dev.engram.core.model.Event;
import dev.engram.core.model.ThreadState;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/**
 * Checkpoints: on demand and by policy, retention of the newest K, optional deletion of covered events, rehydration
 * from checkpoint + tail that equals a full fold, and fallback past corrupt checkpoints. Engines here run without a
 * state cache, so every read rehydrates from the store.
 */
public interface CheckpointKit extends EngramKit {

    @Test
    default void aCheckpointOnDemandIsListed(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withCheckpoints(MANUAL_CHECKPOINTS)));
        t.checkpoint().as(StepVerifier::create).as("an absent thread has nothing to checkpoint").verifyError(NotFoundException.class);
        appendMixed(t, 0, 5);
        t.checkpoint().as(StepVerifier::create)
                .assertNext(c -> {
                    assertThat(c.key()).isEqualTo(t.key());
                    assertThat(c.version()).isEqualTo(5);
                    assertThat(c.sizeBytes()).isPositive();
                    assertThat(c.createdAt()).isNotNull();
                }).as("checkpoint() takes one at the head")
                .verifyComplete();
        t.checkpoints().map(CheckpointInfo::version).as(StepVerifier::create)
                .expectNext(5L).as("checkpoints() lists it")
                .verifyComplete();
    }

    @Test
    default void thePolicyTakesACheckpointEveryNEvents(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withCacheMaxThreads(0)
                .withCheckpoints(new CheckpointPolicy(5, 0, 3, false))));
        appendMixed(t, 0, 4);
        appendMixed(t, 4, 1);
        List<CheckpointInfo> taken = Kits.await(t.checkpoints().collectList(), l -> !l.isEmpty(), "a checkpoint after the 5th event");
        assertThat(taken).extracting(CheckpointInfo::version).as("the append that reached 5 caused a checkpoint at 5").containsExactly(5L);
        appendMixed(t, 5, 3);
        t.state().as(StepVerifier::create)
                .expectNext(fold(t.key(), log(t))).as("checkpoint + tail equals the full fold")
                .verifyComplete();
    }

    @Test
    default void retentionKeepsTheNewestK(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withCheckpoints(new CheckpointPolicy(0, 0, 2, false))));
        for (int i = 0; i < 4; i++) {
            appendMixed(t, i * 3, 3);
            t.checkpoint().block(TIMEOUT);
        }
        t.checkpoints().map(CheckpointInfo::version).as(StepVerifier::create)
                .expectNext(12L, 9L).as("of checkpoints at 3, 6, 9, 12 the newest two are kept, newest first")
                .verifyComplete();
        assertThat(versions(log(t))).as("the log is kept whole by default").isEqualTo(range(1, 12));
    }

    @Test
    default void retentionUnderThePolicyStaysWithinK(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCacheMaxThreads(0).withCheckpoints(new CheckpointPolicy(3, 0, 2, false)));
        ThreadHandle t = fixture.newThread(engram);
        appendMixed(t, 0, 30);
        List<CheckpointInfo> kept = Kits.await(t.checkpoints().collectList(), l -> !l.isEmpty() && l.size() <= 2,
                "policy checkpoints taken and pruned to 2");
        assertThat(kept).extracting(CheckpointInfo::version).as("newest first, within the log").isSortedAccordingTo((a, b) -> Long.compare(b, a))
                .allMatch(v -> v >= 3 && v <= 30);
        t.state().as(StepVerifier::create)
                .expectNext(fold(t.key(), log(t))).as("state equals the full fold")
                .verifyComplete();
    }

    @Test
    default void deletingCoveredEventsKeepsStateAndHead(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withCacheMaxThreads(0)
                .withCheckpoints(new CheckpointPolicy(0, 0, 1, true))));
        appendMixed(t, 0, 10);
        ThreadState atTen = fold(t.key(), log(t));
        t.checkpoint().map(CheckpointInfo::version).as(StepVerifier::create).expectNext(10L).verifyComplete();
        t.events(1).as(StepVerifier::create).as("events covered by the kept checkpoint are gone").verifyComplete();
        t.info().map(i -> i.version()).as(StepVerifier::create).expectNext(10L).as("the head is unchanged").verifyComplete();
        t.state().as(StepVerifier::create).expectNext(atTen).as("state comes from the checkpoint").verifyComplete();
        t.stateAt(5).as(StepVerifier::create).as("time travel before the checkpoint errors rather than folding a partial log")
                .verifyError(EngramException.class);
        t.fork(fixture.newKey(), 5).as(StepVerifier::create).as("so does a fork before it").verifyError(InvalidInputException.class);

        appendMixed(t, 10, 2);
        ThreadState expected = atTen;
        List<Event> tail = log(t);
        assertThat(versions(tail)).as("new events continue at 11").containsExactly(11L, 12L);
        for (Event e : tail) {
            expected = expected.apply(e);
        }
        t.state().as(StepVerifier::create).expectNext(expected).as("checkpoint + tail").verifyComplete();
    }

    @Test
    default void stateAfterCheckpointsEqualsAFullFold(EngramFixture fixture) {
        ThreadHandle t = fixture.newThread(fixture.open(c -> c.withCacheMaxThreads(0)
                .withCheckpoints(new CheckpointPolicy(4, 0, 3, false))));
        appendMixed(t, 0, 25);
        Kits.await(t.checkpoints().collectList(), l -> !l.isEmpty(), "a policy checkpoint");
        appendMixed(t, 25, 12);
        List<Event> all = log(t);
        assertThat(versions(all)).isEqualTo(range(1, 37));
        t.state().as(StepVerifier::create)
                .expectNext(fold(t.key(), all)).as("after checkpoints, state equals a fold of events(1)")
                .verifyComplete();
    }

    @Test
    default void corruptCheckpointsAreSkipped(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCacheMaxThreads(0).withCheckpoints(MANUAL_CHECKPOINTS));
        ThreadHandle t = fixture.newThread(engram);
        appendMixed(t, 0, 10);
        t.checkpoint().block(TIMEOUT);
        appendMixed(t, 10, 4);
        ThreadRecord record = engram.backend().events().find(t.key()).block(TIMEOUT);
        byte[] garbage = new byte[200];
        new Random(7).nextBytes(garbage);
        engram.backend().checkpoints().save(new StoredCheckpoint(t.key(), 12, record.generation(), System.currentTimeMillis(), garbage))
                .block(TIMEOUT);
        byte[] valid = engram.backend().checkpoints().load(t.key(), 10).block(TIMEOUT).data();
        engram.backend().checkpoints().save(new StoredCheckpoint(t.key(), 14, record.generation(), System.currentTimeMillis(), valid))
                .block(TIMEOUT);
        engram.backend().checkpoints().save(new StoredCheckpoint(t.key(), 13, record.generation(), System.currentTimeMillis(), new byte[0]))
                .block(TIMEOUT);

        List<Event> all = log(t);
        t.state().as(StepVerifier::create)
                .expectNext(fold(t.key(), all)).as("random bytes at 12, an empty blob at 13 and a state of 10 labelled 14 are all skipped")
                .verifyComplete();
        t.stateAt(12).as(StepVerifier::create)
                .expectNext(fold(t.key(), all.subList(0, 12))).as("time travel falls back to the checkpoint at 10")
                .verifyComplete();
    }

    @Test
    default void aCheckpointOfAnotherGenerationIsIgnored(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCacheMaxThreads(0).withCheckpoints(MANUAL_CHECKPOINTS));
        ThreadHandle t = fixture.newThread(engram);
        ThreadHandle donor = fixture.newThread(engram);
        appendMessages(donor, 6);
        donor.checkpoint().block(TIMEOUT);
        appendMixed(t, 0, 8);
        ThreadRecord record = engram.backend().events().find(t.key()).block(TIMEOUT);
        byte[] foreign = engram.backend().checkpoints().load(donor.key(), 6).block(TIMEOUT).data();
        engram.backend().checkpoints().save(new StoredCheckpoint(t.key(), 6, record.generation() + 1, System.currentTimeMillis(), foreign))
                .block(TIMEOUT);
        t.checkpoints().as(StepVerifier::create).as("it is not listed").verifyComplete();
        t.state().as(StepVerifier::create).expectNext(fold(t.key(), log(t))).as("nor applied").verifyComplete();
    }
}
