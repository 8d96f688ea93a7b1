package dev.engram.tck;

import static dev.engram.tck.Kits.MANUAL_CHECKPOINTS;
import static dev.engram.tck.Kits.TIMEOUT;
import static dev.engram.tck.Kits.appendMessages;
import static dev.engram.tck.Kits.fold;
import static dev.engram.tck.Kits.log;
import static dev.engram.tck.Kits.msg;
import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.ThreadHandle;
import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** {@code delete()}: events, checkpoints and metadata go; a thread created again starts over with a new generation. */
public interface DeleteKit extends EngramKit {

    @Test
    default void deleteRemovesEventsCheckpointsAndMetadata(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCheckpoints(MANUAL_CHECKPOINTS));
        ThreadHandle t = engram.thread(fixture.newKey());
        t.append(AppendBatch.ofChanges(List.of(msg("first"))).metadata(Map.of("topic", "doomed"))).block(TIMEOUT);
        appendMessages(t, 4);
        t.checkpoint().block(TIMEOUT);

        t.delete().as(StepVerifier::create).expectNext(true).as("delete reports the thread existed").verifyComplete();
        t.state().as(StepVerifier::create).as("no state").verifyComplete();
        t.events(1).as(StepVerifier::create).as("no events").verifyComplete();
        t.info().as(StepVerifier::create).as("no info").verifyComplete();
        t.checkpoints().as(StepVerifier::create).as("no checkpoints").verifyComplete();
        engram.backend().checkpoints().list(t.key()).as(StepVerifier::create).as("none left in the store either").verifyComplete();
        engram.threads(ThreadQuery.of(t.key().tenant()).withMetadata("topic", "doomed")).map(p -> p.items()).as(StepVerifier::create)
                .expectNext(List.of()).as("not listed").verifyComplete();
        t.delete().as(StepVerifier::create).expectNext(false).as("deleting again reports it was absent").verifyComplete();
        fixture.newThread(engram).delete().as(StepVerifier::create).expectNext(false).as("so does deleting a thread never created")
                .verifyComplete();
    }

    @Test
    default void aThreadCreatedAgainStartsOverWithANewGeneration(EngramFixture fixture) {
        Engram engram = fixture.open(c -> c.withCacheMaxThreads(0).withCheckpoints(MANUAL_CHECKPOINTS));
        ThreadHandle t = engram.thread(fixture.newKey());
        List<NewEvent> firstLife = Kits.newEvents(10, "old life");
        t.append(AppendBatch.of(firstLife).metadata(Map.of("life", "1"))).block(TIMEOUT);
        t.checkpoint().block(TIMEOUT);
        ThreadRecord oldRecord = engram.backend().events().find(t.key()).block(TIMEOUT);
        StoredCheckpoint oldCheckpoint = engram.backend().checkpoints().load(t.key(), 10).block(TIMEOUT);
        t.delete().block(TIMEOUT);

        t.append(AppendBatch.of(firstLife.subList(0, 1)).metadata(Map.of("life", "2"))).as(StepVerifier::create)
                .expectNext(new Appended(t.key(), 1, 1, false)).as("an old event id is new again: version 1, not deduplicated")
                .verifyComplete();
        appendMessages(t, 11);
        ThreadRecord newRecord = engram.backend().events().find(t.key()).block(TIMEOUT);
        assertThat(newRecord.generation()).as("a new generation").isNotEqualTo(oldRecord.generation());
        t.info().map(ThreadInfo::metadata).as(StepVerifier::create)
                .expectNext(Map.of("life", "2")).as("only the new metadata").verifyComplete();

        // a checkpoint of the old life saved late, as a checkpointer racing the delete would
        engram.backend().checkpoints().save(oldCheckpoint).block(TIMEOUT);
        t.checkpoints().as(StepVerifier::create).as("the old checkpoint is not listed").verifyComplete();
        t.state().as(StepVerifier::create)
                .expectNext(fold(t.key(), log(t))).as("nor applied: state is the new life's")
                .verifyComplete();
        t.stateAt(10).as(StepVerifier::create)
                .expectNext(fold(t.key(), log(t).subList(0, 10))).as("nor used by time travel")
                .verifyComplete();
    }

    @Test
    default void deleteDropsTheCachedState(EngramFixture fixture) {
        Engram engram = fixture.open();
        ThreadHandle t = fixture.newThread(engram);
        appendMessages(t, 3);
        t.state().block(TIMEOUT);
        t.delete().block(TIMEOUT);
        t.state().as(StepVerifier::create).as("a hot thread, deleted, has no state").verifyComplete();
        t.append(msg("again")).block(TIMEOUT);
        t.state().map(Kits::contents).as(StepVerifier::create)
                .expectNext(List.of("again")).as("and starts over when written again").verifyComplete();
    }
}
