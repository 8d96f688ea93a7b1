package dev.engram.core.spi;

import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import java.util.Map;
import java.util.Set;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The per-thread event logs and thread records of a backend. An expired thread is absent to every method. */
public interface EventLog {

    /** Appends atomically under the rules of {@link LogAppend}; emits the assigned versions. */
    Mono<LogAppended> append(LogAppend append);

    /** Emits the events with {@code fromVersion <= version <= toVersion}, in order, at most {@code limit}; empty for an absent thread. */
    Flux<EventRecord> read(ThreadKey key, long fromVersion, long toVersion, int limit);

    /** Emits the thread's record, or completes empty when it is absent or expired. */
    Mono<ThreadRecord> find(ThreadKey key);

    /** Sets and removes metadata entries; errors with {@link dev.engram.core.NotFoundException} when the thread is absent. */
    Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove);

    /** Deletes the thread's events and record; emits whether it existed. */
    Mono<Boolean> delete(ThreadKey key);

    /** Deletes the events with {@code version <= upToVersion} (retention); the head is unchanged. Emits how many went. */
    Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion);

    /** Emits one page of the tenant's live threads whose metadata contains the query's entries, ordered by (threadId, namespace). */
    Mono<Page<ThreadRecord>> list(ThreadQuery query);
}
