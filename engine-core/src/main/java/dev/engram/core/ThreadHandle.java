package dev.engram.core;

import dev.engram.core.model.AppendBatch;
import dev.engram.core.model.Appended;
import dev.engram.core.model.Change;
import dev.engram.core.model.CheckpointInfo;
import dev.engram.core.model.Event;
import dev.engram.core.model.ExpectedVersion;
import dev.engram.core.model.NewEvent;
import dev.engram.core.model.ThreadInfo;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadState;
import dev.engram.core.model.ThreadUpdate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * One thread of an {@link Engram}. Cheap to create; holds no state. Every method does nothing until subscribed
 * and never blocks the subscribing thread. Invalid input errors before any I/O.
 */
public interface ThreadHandle {

    ThreadKey key();

    /** Appends one change with a fresh event id; emits its version. */
    default Mono<Appended> append(Change change) {
        return append(AppendBatch.of(NewEvent.of(change)));
    }

    /** Appends events atomically if the head matches {@code expected}; errors with {@link VersionConflictException} otherwise. */
    default Mono<Appended> append(List<NewEvent> events, ExpectedVersion expected) {
        return append(AppendBatch.of(events).expect(expected));
    }

    /**
     * Appends a batch atomically. Emits the versions the events got once the backend acknowledged them (for
     * {@code local} with sync {@code always}: once they are on disk). Appending the same event ids again emits the
     * original versions, marked {@link dev.engram.core.model.Appended#deduplicated()}, and writes nothing; the same id
     * with another payload errors with {@link InvalidInputException}.
     */
    Mono<Appended> append(AppendBatch batch);

    /** Emits the events from {@code fromVersion} (1-based) to the head, in order, then completes. */
    Flux<Event> events(long fromVersion);

    /** Emits at most {@code limit} events from {@code fromVersion}, in order. */
    Flux<Event> events(long fromVersion, int limit);

    /** Emits the current state (latest checkpoint plus the events after it, or the cached state if it is current); empty when the thread does not exist. */
    Mono<ThreadState> state();

    /** Emits the state as it was at {@code version} (time travel); empty when the thread does not exist; {@link InvalidInputException} past the head. */
    Mono<ThreadState> stateAt(long version);

    /** Emits the thread's head, metadata and timestamps; empty when it does not exist. */
    Mono<ThreadInfo> info();

    /** Sets and removes metadata entries; {@link NotFoundException} when the thread does not exist. */
    Mono<ThreadInfo> updateMetadata(Map<String, String> set, Set<String> remove);

    /**
     * Emits the events from {@code fromVersion} as they are stored (catch-up), then every later append as it happens
     * (live), with no gap and no duplicate across the switch. Honours backpressure by reading the log on demand. A
     * subscriber with no outstanding demand that falls more than {@code watch.maxLag} events behind errors with
     * {@link SubscriberOverflowException} carrying the version to resume from. If the thread is deleted while
     * watched, errors with {@link NotFoundException}. Never completes on its own.
     */
    Flux<ThreadUpdate> watch(long fromVersion);

    /** Takes a checkpoint of the current state now; {@link NotFoundException} when the thread does not exist. */
    Mono<CheckpointInfo> checkpoint();

    /** Emits the thread's checkpoints, newest first. */
    Flux<CheckpointInfo> checkpoints();

    /**
     * Creates {@code newKey} as a copy of this thread's first {@code atVersion} events (their ids and times kept); emits
     * the new thread's info. Repeating the same fork returns the existing fork (a retry, like an append's);
     * {@link VersionConflictException} when {@code newKey} holds another thread.
     */
    Mono<ThreadInfo> fork(ThreadKey newKey, long atVersion);

    /** Deletes the thread's events, checkpoints and metadata; emits whether it existed. */
    Mono<Boolean> delete();
}
