package dev.engram.core.local;

import dev.engram.core.spi.Backend;
import dev.engram.core.spi.Capability;
import dev.engram.core.spi.ChangeFeed;
import dev.engram.core.spi.CheckpointStore;
import dev.engram.core.spi.EventLog;
import dev.engram.core.spi.MemoryStorage;
import java.time.Clock;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/** One open data directory: the database, its writer thread, and the read and ack schedulers. */
final class LocalBackend implements Backend {

    private static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(Capability.DURABLE));
    private static final int READ_QUEUE = 100_000;
    private static final int IDLE_SECONDS = 60;

    private final LocalDb db;
    private final Scheduler readScheduler;
    private final Scheduler ackScheduler;
    private final LocalReads reads;
    private final LocalWriter writer;
    private final LocalEventLog events;
    private final LocalCheckpointStore checkpoints;
    private final LocalMemories memories;

    private LocalBackend(LocalDb db, LocalSettings settings, Clock clock) {
        this.db = db;
        this.readScheduler = Schedulers.newBoundedElastic(settings.readThreads(), READ_QUEUE, "engram-local-read", IDLE_SECONDS, true);
        this.ackScheduler = Schedulers.newBoundedElastic(Schedulers.DEFAULT_BOUNDED_ELASTIC_SIZE,
                Schedulers.DEFAULT_BOUNDED_ELASTIC_QUEUESIZE, "engram-local-ack", IDLE_SECONDS, true);
        this.reads = new LocalReads(db, readScheduler);
        this.writer = new LocalWriter(db, settings, clock, ackScheduler);
        this.events = new LocalEventLog(db, reads, writer, clock);
        this.checkpoints = new LocalCheckpointStore(db, reads, writer);
        this.memories = new LocalMemories(db, reads, writer, clock, settings.memoryCacheBytes());
    }

    static LocalBackend open(LocalSettings settings, Clock clock) {
        return new LocalBackend(LocalDb.open(settings.dataDir()), settings, clock);
    }

    LocalWriter writer() {
        return writer;
    }

    LocalDb db() {
        return db;
    }

    @Override
    public EventLog events() {
        return events;
    }

    @Override
    public CheckpointStore checkpoints() {
        return checkpoints;
    }

    @Override
    public ChangeFeed changes() {
        return writer.feed();
    }

    @Override
    public MemoryStorage memories() {
        return memories;
    }

    @Override
    public Set<Capability> capabilities() {
        return CAPABILITIES;
    }

    @Override
    public Mono<Void> ping() {
        return reads.call("pinging " + db.dir, () -> db.db.get(db.threads, new byte[] {0})).then();
    }

    /** The writer finishes the queued writes, syncs and closes the database (after reads in flight); then the schedulers go. */
    @Override
    public Mono<Void> close() {
        return writer.close().then(Mono.fromRunnable(() -> {
            readScheduler.disposeGracefully().subscribe();
            ackScheduler.disposeGracefully().subscribe();
        }));
    }
}
