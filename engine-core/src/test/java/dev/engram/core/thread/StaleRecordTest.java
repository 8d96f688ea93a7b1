package dev.engram.core.thread;

import static org.assertj.core.api.Assertions.assertThat;

import dev.engram.core.Engram;
import dev.engram.core.config.EngramConfig;
import dev.engram.core.inmemory.InMemoryProvider;
import dev.engram.core.model.Change;
import dev.engram.core.model.Page;
import dev.engram.core.model.ThreadKey;
import dev.engram.core.model.ThreadQuery;
import dev.engram.core.model.ThreadState;
import dev.engram.core.spi.Backend;
import dev.engram.core.spi.BackendContext;
import dev.engram.core.spi.BackendProvider;
import dev.engram.core.spi.Capability;
import dev.engram.core.spi.ChangeFeed;
import dev.engram.core.spi.CheckpointMeta;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.EventRecord;
import dev.engram.core.spi.LogAppend;
import dev.engram.core.spi.LogAppended;
import dev.engram.core.spi.MemoryStorage;
import dev.engram.core.spi.StoredCheckpoint;
import dev.engram.core.spi.ThreadRecord;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The state cache needs no read back from storage for what this process knows: a thread record read just before this
 * process's own append landed is older than the cached state, which is acknowledged and so current; and a thread this
 * process created starts cached from its first append.
 */
class StaleRecordTest {

    /** When set, {@code find} answers the record as it was one version earlier, as a read that raced an append would. */
    static final AtomicBoolean STALE = new AtomicBoolean();
    static final AtomicInteger CHECKPOINT_LOADS = new AtomicInteger();
    static final AtomicInteger EVENT_READS = new AtomicInteger();

    @Test
    void aStaleRecordDoesNotRebuildTheCachedState() {
        STALE.set(false);
        try (Engram engram = Engram.open(EngramConfig.defaults().withProvider(StaleFindProvider.NAME))) {
            var thread = engram.thread("stale-1");
            thread.append(Change.message(dev.engram.core.model.Message.user("one"))).block();
            thread.append(Change.message(dev.engram.core.model.Message.user("two"))).block();
            thread.checkpoint().block();
            thread.append(Change.message(dev.engram.core.model.Message.user("three"))).block();
            CHECKPOINT_LOADS.set(0);
            EVENT_READS.set(0);

            STALE.set(true);
            ThreadState state = thread.state().block();

            assertThat(state.version()).as("the cached state, newer than the stale record").isEqualTo(3);
            assertThat(state.messages()).hasSize(3);
            assertThat(CHECKPOINT_LOADS).as("no checkpoint loaded to rebuild it").hasValue(0);
            assertThat(EVENT_READS).as("no events read to rebuild it").hasValue(0);
        } finally {
            STALE.set(false);
        }
    }

    @Test
    void aThreadCreatedHereIsCachedFromItsFirstAppend() {
        STALE.set(false);
        try (Engram engram = Engram.open(EngramConfig.defaults().withProvider(StaleFindProvider.NAME))) {
            var thread = engram.thread("new-1");
            CHECKPOINT_LOADS.set(0);
            EVENT_READS.set(0);

            thread.append(Change.message(dev.engram.core.model.Message.user("one"))).block();
            thread.append(Change.message(dev.engram.core.model.Message.user("two"))).block();
            var checkpoint = thread.checkpoint().block();

            assertThat(checkpoint.version()).isEqualTo(2);
            assertThat(EVENT_READS).as("the first checkpoint folds nothing back from storage").hasValue(0);
            assertThat(CHECKPOINT_LOADS).hasValue(0);
        }
    }

    /** The memory provider, with a {@code find} that can lag one version behind and counters of rebuilding reads. */
    public static final class StaleFindProvider implements BackendProvider {

        static final String NAME = "test-stale-find";

        @Override
        public String name() {
            return NAME;
        }

        @Override
        public Backend create(BackendContext context) {
            Backend real = new InMemoryProvider().create(context);
            EventLog log = new LaggingLog(real.events());
            CheckpointStore checkpoints = new CountingCheckpoints(real.checkpoints());
            return new Backend() {
                @Override
                public EventLog events() {
                    return log;
                }

                @Override
                public CheckpointStore checkpoints() {
                    return checkpoints;
                }

                @Override
                public ChangeFeed changes() {
                    return real.changes();
                }

                @Override
                public MemoryStorage memories() {
                    return real.memories();
                }

                @Override
                public Set<Capability> capabilities() {
                    return real.capabilities();
                }

                @Override
                public Mono<Void> ping() {
                    return real.ping();
                }

                @Override
                public Mono<Void> close() {
                    return real.close();
                }
            };
        }
    }

    private record LaggingLog(EventLog real) implements EventLog {

        @Override
        public Mono<LogAppended> append(LogAppend append) {
            return real.append(append);
        }

        @Override
        public Flux<EventRecord> read(ThreadKey key, long fromVersion, long toVersion, int limit) {
            return real.read(key, fromVersion, toVersion, limit).doOnSubscribe(s -> EVENT_READS.incrementAndGet());
        }

        @Override
        public Mono<ThreadRecord> find(ThreadKey key) {
            return real.find(key).map(r -> !STALE.get() ? r : new ThreadRecord(r.key(), r.version() - 1, r.generation(),
                    r.createdAtMillis(), r.updatedAtMillis(), r.expiresAtMillis(), r.ttlMillis(), r.metadata()));
        }

        @Override
        public Mono<ThreadRecord> updateMetadata(ThreadKey key, Map<String, String> set, Set<String> remove) {
            return real.updateMetadata(key, set, remove);
        }

        @Override
        public Mono<Boolean> delete(ThreadKey key) {
            return real.delete(key);
        }

        @Override
        public Mono<Long> deleteEventsUpTo(ThreadKey key, long upToVersion) {
            return real.deleteEventsUpTo(key, upToVersion);
        }

        @Override
        public Mono<Page<ThreadRecord>> list(ThreadQuery query) {
            return real.list(query);
        }
    }

    private record CountingCheckpoints(CheckpointStore real) implements CheckpointStore {

        @Override
        public Mono<Void> save(StoredCheckpoint checkpoint) {
            return real.save(checkpoint);
        }

        @Override
        public Flux<CheckpointMeta> list(ThreadKey key) {
            return real.list(key);
        }

        @Override
        public Mono<StoredCheckpoint> load(ThreadKey key, long version) {
            return real.load(key, version).doOnSubscribe(s -> CHECKPOINT_LOADS.incrementAndGet());
        }

        @Override
        public Mono<Void> delete(ThreadKey key, long version) {
            return real.delete(key, version);
        }

        @Override
        public Mono<Void> deleteAll(ThreadKey key) {
            return real.deleteAll(key);
        }
    }
}
